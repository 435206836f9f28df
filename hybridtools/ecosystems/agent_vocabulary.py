"""Values for agent-side tools: rules, skills, memories, todo lists, notebooks, MCP
servers, browser actions and the agent's own messages. Split like every other list."""

from __future__ import annotations

import random
import re

from hybridtools.ecosystems import vocabulary
from hybridtools.ecosystems.splits import Split, choose

# (rule name, rule text, globs or "")
RULES = (
    ("python-type-hints", "Always add type hints to Python functions", "**/*.py"),
    ("named-exports", "Use named exports instead of default exports", "**/*.{ts,tsx}"),
    ("early-returns", "Prefer early returns over nested if statements", ""),
    ("pytest-style", "Write tests with pytest fixtures, not unittest classes", "tests/**/*.py"),
    ("no-secrets-in-logs", "Never log secrets, tokens or passwords", ""),
    ("async-await", "Use async/await instead of .then chains", "**/*.js"),
    ("small-components", "Keep React components under 200 lines", "src/components/**/*.tsx"),
    ("wrap-go-errors", "Wrap errors with context using fmt.Errorf and %w", "**/*.go"),
    ("snake-case-columns", "Use snake_case for database column names", "migrations/**/*.sql"),
    ("docstrings", "Document every public function with a docstring", "**/*.py"),
    ("no-unwrap", "Do not call unwrap() outside tests", "src/**/*.rs"),
    ("tailwind-only", "Style components with Tailwind classes, no inline styles", "**/*.tsx"),
    ("conventional-commits", "Write commit messages in the Conventional Commits format", ""),
    ("immutable-dtos", "Make DTOs immutable records", "**/*.java"),
    ("i18n-strings", "Put user-facing strings in the translation files", "src/**/*.tsx"),
    ("sql-params", "Always use bound parameters in SQL, never string formatting", ""),
)
RULE_NAMES = (
    "api-conventions",
    "testing-guidelines",
    "commit-style",
    "security-checklist",
    "react-patterns",
    "sql-style",
    "error-handling",
    "logging-standards",
    "release-process",
    "accessibility",
    "db-migrations",
    "code-review",
    "naming-conventions",
    "performance-budget",
)
SKILLS = (
    "release-notes",
    "db-migration",
    "changelog",
    "pdf-export",
    "api-client-generation",
    "dependency-upgrade",
    "incident-report",
    "frontend-design",
    "docker-setup",
    "k8s-deploy",
    "perf-profiling",
    "security-review",
    "test-generation",
    "data-cleaning",
)
# (memory title, what to remember)
MEMORIES = (
    ("Package manager", "The user prefers pnpm over npm in this repo"),
    ("Test command", "Run the tests with pytest -q -x"),
    ("Go formatting", "Use tabs for indentation in Go files"),
    ("§E service owner", "The §e service is owned by the platform team"),
    ("Commit style", "Commit messages follow Conventional Commits"),
    ("§E API version", "The §e API is on v2; v1 is deprecated"),
    ("Python version", "The project targets Python 3.11"),
    ("Staging URL", "Staging runs at https://staging.example.com"),
    ("§E table", "§E rows are soft-deleted with a deleted_at column"),
    ("Code review", "The user wants small PRs under 300 lines"),
    ("Node version", "Use Node 22 for this project"),
    ("§E feature flag", "The §e rollout is behind the §e_v2 flag"),
)
TODO_ITEMS = (
    "write tests for the §e service",
    "update the §e API docs",
    "refactor §e validation",
    "add pagination to the §s list",
    "fix the flaky §e test",
    "remove the legacy §e endpoint",
    "add logging to the §e sync job",
    "rename §e fields in the schema",
    "add an index on §e_id",
    "review the §e error messages",
    "migrate §s to the new table",
    "add a §e export button",
)
NOTEBOOKS = (
    "notebooks/§e_analysis.ipynb",
    "analysis/§e-eda.ipynb",
    "notebooks/§s_forecast.ipynb",
    "research/§e_churn.ipynb",
    "notebooks/explore_§s.ipynb",
    "reports/§e_weekly.ipynb",
)
CELLS = (
    'df = pd.read_csv("data/§s.csv")',
    "df.describe()",
    'df["§e_id"].nunique()',
    'df.groupby("status").size()',
    'plt.hist(df["amount"], bins=30)',
    "model.fit(X_train, y_train)",
    "df.head(20)",
    'df = df.dropna(subset=["§e_id"])',
    "print(df.shape)",
    "sns.heatmap(df.corr(numeric_only=True), annot=True)",
    'df.to_parquet("data/§s.parquet")',
    'df["created_at"] = pd.to_datetime(df["created_at"])',
)
# (server, tool, JSON arguments template)
MCP_TOOLS = (
    ("github", "create_issue", '{"owner": "acme", "repo": "§e-service", "title": "§T"}'),
    ("github", "list_pull_requests", '{"owner": "acme", "repo": "§e-service", "state": "open"}'),
    ("postgres", "query", '{"sql": "SELECT count(*) FROM §s"}'),
    ("slack", "post_message", '{"channel": "#§e-dev", "text": "§T"}'),
    ("sentry", "list_issues", '{"project": "§e-service", "query": "is:unresolved"}'),
    ("jira", "search_issues", '{"jql": "project = §U AND status = Open"}'),
    ("linear", "create_issue", '{"team": "§E", "title": "§T"}'),
    ("filesystem", "read_file", '{"path": "/srv/§e/config.yaml"}'),
)
MCP_RESOURCES = (
    ("postgres", "postgres://localhost/§s/schema"),
    ("filesystem", "file:///var/log/§e.log"),
    ("github", "repo://acme/§e-service/readme"),
    ("sentry", "sentry://issues/§e-service"),
    ("docs", "docs://§e/overview"),
    ("jira", "jira://project/§U"),
)
ISSUE_TITLES = (
    "§E export times out",
    "Flaky §e test on CI",
    "§E list ignores the page size",
    "Missing index on §s",
    "§E webhook retries forever",
)
# (question, options or ())
FOLLOWUP_QUESTIONS = (
    ("Which database should I use for the §e store?", ("PostgreSQL", "MySQL", "SQLite")),
    ("Should the §e endpoint be public or behind auth?", ("Public", "Behind auth")),
    ("Do you want the §s paginated or streamed?", ("Paginated", "Streamed")),
    ("Which test framework do you prefer?", ("pytest", "unittest")),
    ("Should I keep the old §e API for backwards compatibility?", ()),
    ("Is it fine to rename the §e table?", ()),
    ("Where should the §e config live?", ("Environment variables", "A YAML file")),
    ("What should happen when a §e is not found?", ()),
    ("Which branch should the §e fix go to?", ()),
    ("Should §s be sorted by date or by name?", ("By date", "By name")),
    ("How many §s per page?", ("10", "25", "50")),
)
COMPLETIONS = (
    "Added pagination to the §s endpoint and updated its tests",
    "Renamed the §e fields and migrated the existing rows",
    "Fixed the flaky §e test by freezing the clock",
    "Moved the §e validation into its own module",
    "Added retries with backoff to the §e client",
)
PLANS = (
    "First I'll read the §e service, then add the new field, then update the tests",
    "I'll add an index on §e_id, then rewrite the slow §s query",
    "Plan: extract the §e parser, add unit tests, then switch the callers over",
)
HANDOFF_CONTEXTS = (
    "Continue the §e refactor: the parser is done, the API layer still uses the old model",
    "Pick up the §s migration: the schema change is merged, the backfill is not written yet",
    "Finish the §e export: CSV works, the Excel writer is still missing",
)
GIT_REFS = ("main", "HEAD~3", "HEAD~1", "v1.4.0", "origin/main", "develop", "v2.0.0-rc.1")
SUBAGENT_TASKS = (
    "Find where §s are validated",
    "List the tests that cover §e exports",
    "Find every caller of the §e client",
    "Summarise how §e errors are handled",
    "Find the config keys the §e service reads",
)
BROWSER_ACTIONS = ("launch", "click", "type", "scroll_down", "scroll_up", "close")


def rule(rng: random.Random, split: Split) -> tuple[str, str, str]:
    return choose(rng, RULES, "rules", split)


def rule_name(rng: random.Random, split: Split) -> str:
    return choose(rng, RULE_NAMES, "rule_names", split)


def skill(rng: random.Random, split: Split) -> str:
    return choose(rng, SKILLS, "skills", split)


def memory(rng: random.Random, split: Split) -> tuple[str, str]:
    title, knowledge = choose(rng, MEMORIES, "memories", split)
    name = vocabulary.entity(rng, split)
    return vocabulary.fill(title, name), vocabulary.fill(knowledge, name)


def todo_items(rng: random.Random, split: Split, count: int) -> list[str]:
    items: list[str] = []
    while len(items) < count:
        item = vocabulary.fill(
            choose(rng, TODO_ITEMS, "todos", split), vocabulary.entity(rng, split)
        )
        if item not in items:
            items.append(item)
    return items


def slug(text: str, words: int = 4) -> str:
    return "-".join(re.findall(r"[a-z0-9]+", text.lower())[:words])


def notebook(rng: random.Random, split: Split) -> str:
    return vocabulary.fill(
        choose(rng, NOTEBOOKS, "notebooks", split), vocabulary.entity(rng, split)
    )


def cell_code(rng: random.Random, split: Split) -> str:
    return vocabulary.fill(choose(rng, CELLS, "cells", split), vocabulary.entity(rng, split))


def cell_id(rng: random.Random) -> str:
    return f"#VSC-{rng.getrandbits(32):08x}"


def mcp_call(rng: random.Random, split: Split) -> tuple[str, str, str]:
    server, tool, arguments = choose(rng, MCP_TOOLS, "mcp_tools", split)
    name = vocabulary.entity(rng, split)
    title = vocabulary.fill(rng.choice(ISSUE_TITLES), name)
    return server, tool, vocabulary.fill(arguments.replace("§T", title), name)


def mcp_resource(rng: random.Random, split: Split) -> tuple[str, str]:
    server, uri = choose(rng, MCP_RESOURCES, "mcp_resources", split)
    return server, vocabulary.fill(uri, vocabulary.entity(rng, split))


_WITH_OPTIONS = tuple(item for item in FOLLOWUP_QUESTIONS if item[1])
_WITHOUT_OPTIONS = tuple(item for item in FOLLOWUP_QUESTIONS if not item[1])


def followup(rng: random.Random, split: Split, with_options: bool) -> tuple[str, tuple[str, ...]]:
    pool = _WITH_OPTIONS if with_options else _WITHOUT_OPTIONS
    question, options = choose(rng, pool, f"followups:{with_options}", split)
    name = vocabulary.entity(rng, split)
    return vocabulary.fill(question, name), options


def completion(rng: random.Random, split: Split) -> str:
    return vocabulary.fill(
        choose(rng, COMPLETIONS, "completions", split), vocabulary.entity(rng, split)
    )


def plan(rng: random.Random, split: Split) -> str:
    return vocabulary.fill(choose(rng, PLANS, "plans", split), vocabulary.entity(rng, split))


def handoff_context(rng: random.Random, split: Split) -> str:
    return vocabulary.fill(
        choose(rng, HANDOFF_CONTEXTS, "handoffs", split), vocabulary.entity(rng, split)
    )


def git_ref(rng: random.Random, split: Split) -> str:
    return choose(rng, GIT_REFS, "git_refs", split)


def subagent_task(rng: random.Random, split: Split) -> str:
    return vocabulary.fill(
        choose(rng, SUBAGENT_TASKS, "subagents", split), vocabulary.entity(rng, split)
    )
