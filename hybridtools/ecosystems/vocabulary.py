"""Realistic code-world values: project entities, file paths across languages, folders,
glob and search patterns, code snippets and edits.

Values are composed from small word lists so that thousands of distinct,
plausible values come out (src/app/invoice/service.py,
src/components/InvoiceTable.tsx, internal/invoice/handlers_test.go...). Every
list is cut into a train and a held-out part (`splits.choose`), so a held-out
request's values share no entity, pattern or snippet with indexed ones.

Templates mark where an entity goes with `§`: §e invoice, §E Invoice, §s
invoices, §U INVOICE, and §m / §n / §W / §J for module, camel module, widget
and Java suffix. `§` cannot clash with code braces or decorators.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from hybridtools.ecosystems.splits import Split, choose, partition

ENTITIES = (
    "user",
    "order",
    "invoice",
    "payment",
    "cart",
    "product",
    "session",
    "token",
    "account",
    "profile",
    "notification",
    "report",
    "upload",
    "webhook",
    "subscription",
    "inventory",
    "shipment",
    "comment",
    "post",
    "tag",
    "message",
    "channel",
    "team",
    "project",
    "task",
    "ticket",
    "event",
    "booking",
    "customer",
    "coupon",
    "review",
    "rating",
    "refund",
    "address",
    "vendor",
    "supplier",
    "warehouse",
    "device",
    "sensor",
    "metric",
    "alert",
    "incident",
    "deployment",
    "release",
    "build",
    "job",
    "queue",
    "worker",
    "tenant",
    "role",
    "permission",
    "workspace",
    "document",
    "folder",
    "page",
    "article",
    "author",
    "playlist",
    "track",
    "album",
    "episode",
    "course",
    "lesson",
    "quiz",
    "grade",
    "student",
    "patient",
    "appointment",
    "prescription",
    "claim",
    "policy",
    "quote",
    "lead",
    "contact",
    "campaign",
    "invite",
    "badge",
    "reward",
    "wallet",
    "transfer",
    "loan",
    "merchant",
    "checkout",
    "recipe",
    "menu",
    "driver",
    "route",
    "vehicle",
    "listing",
    "auction",
    "bid",
    "survey",
)
PY_MODULES = (
    "models",
    "views",
    "service",
    "repository",
    "schemas",
    "utils",
    "handlers",
    "validators",
    "serializers",
    "tasks",
    "client",
    "config",
    "exceptions",
    "permissions",
    "forms",
    "admin",
    "signals",
    "queries",
    "mappers",
    "events",
    "metrics",
    "cache",
    "routes",
    "helpers",
    "constants",
    "types",
    "parser",
    "formatter",
    "exporter",
    "importer",
    "scheduler",
    "factory",
    "middleware",
    "decorators",
)
CAMEL_MODULES = (
    "api",
    "utils",
    "types",
    "schema",
    "store",
    "client",
    "format",
    "hooks",
    "constants",
    "queries",
    "mappers",
    "validation",
    "selectors",
    "actions",
    "reducer",
    "service",
    "helpers",
)
WIDGETS = (
    "Card",
    "List",
    "Table",
    "Form",
    "Modal",
    "Badge",
    "Header",
    "Sidebar",
    "Picker",
    "Details",
    "Summary",
    "Row",
    "Editor",
    "Preview",
    "Filter",
    "Chart",
    "Drawer",
    "Tabs",
    "Avatar",
)
JAVA_SUFFIXES = (
    "Service",
    "Controller",
    "Repository",
    "Mapper",
    "Dto",
    "Validator",
    "Config",
    "Client",
    "Handler",
    "Factory",
    "Listener",
    "Scheduler",
)


@dataclass(frozen=True)
class Language:
    key: str
    label: str  # how people name it in requests
    ext: str
    comment: str
    paths: tuple[str, ...]
    tests: tuple[str, ...]
    snippets: tuple[str, ...]
    # (old, new, what the change does)
    edits: tuple[tuple[str, str, str], ...]


LANGUAGES: tuple[Language, ...] = (
    Language(
        "python",
        "Python",
        "py",
        "#",
        (
            "src/app/§e/§m.py",
            "app/§m/§e.py",
            "§e_service/§m.py",
            "src/§e/§m.py",
            "app/api/routes/§s.py",
            "scripts/sync_§s.py",
            "§e/management/commands/import_§s.py",
            "backend/§s/§m.py",
        ),
        ("tests/test_§e_§m.py", "tests/§e/test_§m.py", "tests/unit/test_§e.py"),
        (
            "from dataclasses import dataclass\n\n\n"
            "@dataclass\nclass §E:\n    id: int\n    name: str",
            "def normalize_§e_name(name: str) -> str:\n    return name.strip().lower()",
            "import logging\n\nlogger = logging.getLogger(__name__)",
            "§U_PAGE_SIZE = 50",
            'from fastapi import APIRouter\n\nrouter = APIRouter(prefix="/§s")',
            "class §ENotFoundError(LookupError):\n    pass",
            'import pytest\n\n\n@pytest.fixture\ndef §e():\n    return {"id": 1}',
        ),
        (
            ("def get_§e(", "def fetch_§e(", "rename get_§e to fetch_§e"),
            ("timeout=30", "timeout=60", "raise the timeout to 60 seconds"),
            ("print(§e)", 'logger.info("%s", §e)', "log the §e instead of printing it"),
            ("§U_LIMIT = 100", "§U_LIMIT = 500", "raise §U_LIMIT to 500"),
            ("from typing import List", "from collections.abc import Sequence", "use Sequence"),
            ("except Exception:", "except (ValueError, KeyError):", "narrow the except clause"),
            ("requests.get(url)", "requests.get(url, timeout=10)", "add a timeout to the request"),
            ("§e_id: int", "§e_id: str", "make §e_id a string"),
        ),
    ),
    Language(
        "typescript",
        "TypeScript",
        "ts",
        "//",
        (
            "src/components/§E§W.tsx",
            "src/hooks/use§E.ts",
            "src/lib/§e/§n.ts",
            "src/pages/§s/index.tsx",
            "src/api/§eClient.ts",
            "src/store/§eSlice.ts",
            "app/§s/[id]/page.tsx",
            "packages/§e/src/index.ts",
        ),
        ("src/components/§E§W.test.tsx", "src/lib/§e/§n.test.ts", "e2e/§s.spec.ts"),
        (
            "export interface §E {\n  id: string;\n  createdAt: string;\n}",
            "export const §U_PAGE_SIZE = 25;",
            "export function format§E(§e: §E): string {\n  return `§E ${§e.id}`;\n}",
            'import { z } from "zod";\n\nexport const §ESchema = z.object({ id: z.string() });',
            'export type §EStatus = "draft" | "active" | "archived";',
        ),
        (
            ("get§EById", "find§EById", "rename get§EById to find§EById"),
            ("console.log(§e)", "logger.debug(§e)", "use the logger"),
            ("let §s = []", "const §s: §E[] = []", "type the §s array"),
            ("fetch(`/api/§s`)", "fetch(`/api/v2/§s`)", "call the v2 endpoint"),
            ("useState<§E[]>([])", "useState<§E[] | null>(null)", "start the state as null"),
            ("§e: any", "§e: §E", "replace any with §E"),
        ),
    ),
    Language(
        "javascript",
        "JavaScript",
        "js",
        "//",
        (
            "src/routes/§s.js",
            "lib/§e-§n.js",
            "src/middleware/§e.js",
            "src/controllers/§eController.js",
            "server/§s/index.js",
        ),
        ("test/§e.spec.js", "__tests__/§e.test.js"),
        (
            "module.exports = { §ePageSize: 25 };",
            'const express = require("express");\n\nconst router = express.Router();\n\n'
            "module.exports = router;",
            'export const §U_EVENTS = ["created", "updated"];',
        ),
        (
            ("var §e =", "const §e =", "use const for §e"),
            ("res.send(§e)", "res.json(§e)", "send §e as JSON"),
            ("== null", "=== null", "use strict equality"),
        ),
    ),
    Language(
        "go",
        "Go",
        "go",
        "//",
        ("internal/§e/§m.go", "cmd/§ed/main.go", "pkg/§e/§m.go", "internal/http/§e_handler.go"),
        ("internal/§e/§m_test.go", "pkg/§e/§e_test.go"),
        (
            "package §e\n\ntype §E struct {\n\tID   int64\n\tName string\n}",
            "package §e\n\nconst DefaultPageSize = 50",
            'package §e\n\nimport "errors"\n\nvar Err§ENotFound = errors.New("§e not found")',
        ),
        (
            ("fmt.Println(§e)", 'log.Printf("%v", §e)', "log instead of printing"),
            ("func Get§E(", "func Find§E(", "rename Get§E to Find§E"),
            ("5 * time.Second", "30 * time.Second", "raise the timeout to 30 seconds"),
        ),
    ),
    Language(
        "rust",
        "Rust",
        "rs",
        "//",
        ("src/§e/§m.rs", "crates/§e-core/src/lib.rs", "src/bin/§e_cli.rs", "src/§e.rs"),
        ("tests/§e_§m.rs", "tests/§e.rs"),
        (
            "#[derive(Debug, Clone)]\npub struct §E {\n    pub id: u64,\n    pub name: String,\n}",
            "pub const §U_PAGE_SIZE: usize = 50;",
            '#[derive(Debug, thiserror::Error)]\npub enum §EError {\n    #[error("not found")]\n'
            "    NotFound,\n}",
        ),
        (
            (".unwrap()", '.expect("§e must exist")', "replace unwrap with expect"),
            ("fn load_§e(", "fn read_§e(", "rename load_§e to read_§e"),
            ("Vec<§E>", "&[§E]", "take a slice"),
        ),
    ),
    Language(
        "java",
        "Java",
        "java",
        "//",
        ("src/main/java/com/acme/§e/§E§J.java", "src/main/java/com/acme/api/§EController.java"),
        ("src/test/java/com/acme/§e/§E§JTest.java",),
        (
            "package com.acme.§e;\n\npublic record §E(long id, String name) {}",
            "package com.acme.§e;\n\npublic class §ENotFoundException extends RuntimeException {}",
        ),
        (
            ("System.out.println(§e);", 'log.info("{}", §e);', "use the logger"),
            ("get§EById", "find§EById", "rename get§EById to find§EById"),
            ("new ArrayList<>()", "List.of()", "return an immutable list"),
        ),
    ),
    Language(
        "kotlin",
        "Kotlin",
        "kt",
        "//",
        (
            "app/src/main/kotlin/com/acme/§e/§EViewModel.kt",
            "app/src/main/kotlin/com/acme/§e/§ERepository.kt",
        ),
        ("app/src/test/kotlin/com/acme/§e/§EViewModelTest.kt",),
        (
            "package com.acme.§e\n\ndata class §E(val id: Long, val name: String)",
            "package com.acme.§e\n\nconst val §U_PAGE_SIZE = 50",
        ),
        (
            ("var §s = mutableListOf<§E>()", "val §s = mutableListOf<§E>()", "make §s a val"),
            ("!!", "?: return", "drop the !! operator"),
        ),
    ),
    Language(
        "csharp",
        "C#",
        "cs",
        "//",
        ("src/Acme.§E/Services/§EService.cs", "src/Acme.Api/Controllers/§EController.cs"),
        ("tests/Acme.§E.Tests/§EServiceTests.cs",),
        (
            "namespace Acme.§E;\n\npublic record §E(int Id, string Name);",
            "namespace Acme.§E;\n\npublic interface I§ERepository\n"
            "{\n    Task<§E?> FindAsync(int id);\n}",
        ),
        (
            ("Get§EAsync(", "Find§EAsync(", "rename Get§EAsync to Find§EAsync"),
            ("Console.WriteLine(§e);", '_logger.LogInformation("{§E}", §e);', "use the logger"),
        ),
    ),
    Language(
        "ruby",
        "Ruby",
        "rb",
        "#",
        (
            "app/models/§e.rb",
            "app/controllers/§s_controller.rb",
            "app/services/§e_§m.rb",
            "lib/tasks/§s.rake",
        ),
        ("spec/models/§e_spec.rb", "spec/requests/§s_spec.rb"),
        (
            "class §E < ApplicationRecord\n  validates :name, presence: true\nend",
            "class §ENotFound < StandardError; end",
        ),
        (
            ("def find_§e", "def lookup_§e", "rename find_§e to lookup_§e"),
            ("puts §e", "Rails.logger.info(§e)", "log instead of puts"),
        ),
    ),
    Language(
        "php",
        "PHP",
        "php",
        "//",
        ("app/Http/Controllers/§EController.php", "app/Models/§E.php", "app/Jobs/Sync§E.php"),
        ("tests/Feature/§ETest.php",),
        (
            "<?php\n\nnamespace App\\Models;\n\nuse Illuminate\\Database\\Eloquent\\Model;\n\n"
            "class §E extends Model\n{\n}",
            "<?php\n\nreturn [\n    '§e_page_size' => 25,\n];",
        ),
        (
            ("->get();", "->paginate(25);", "paginate the §s query"),
            ("dd($§e);", "Log::info($§e);", "log instead of dumping"),
        ),
    ),
    Language(
        "swift",
        "Swift",
        "swift",
        "//",
        ("Sources/App/§E/§EView.swift", "Sources/App/§E/§EStore.swift"),
        ("Tests/AppTests/§EStoreTests.swift",),
        (
            "struct §E: Identifiable {\n    let id: UUID\n    var name: String\n}",
            "enum §EError: Error {\n    case notFound\n}",
        ),
        (
            ("var §s: [§E] = []", "@Published var §s: [§E] = []", "publish §s"),
            ("print(§e)", 'logger.info("\\(§e)")', "log instead of printing"),
        ),
    ),
    Language(
        "cpp",
        "C++",
        "cpp",
        "//",
        ("src/§e/§m.cpp", "include/§e/§m.h", "src/§e_§m.cpp"),
        ("tests/§e_§m_test.cpp",),
        (
            "#pragma once\n\nnamespace §e {\nint page_size();\n}",
            "#pragma once\n\nstruct §E {\n    long id;\n};",
        ),
        (
            ("std::cout << §e", 'spdlog::info("{}", §e)', "log with spdlog"),
            ("NULL", "nullptr", "use nullptr"),
        ),
    ),
)
LANGUAGE_BY_KEY = {language.key: language for language in LANGUAGES}
# How often each language's files come up; Python and TypeScript dominate IDE use.
LANGUAGE_WEIGHTS = (24, 22, 10, 9, 7, 7, 3, 4, 4, 3, 2, 5)

CONFIG_FILES = (
    "package.json",
    "pyproject.toml",
    "Dockerfile",
    "docker-compose.yml",
    "tsconfig.json",
    "vite.config.ts",
    ".eslintrc.json",
    "Makefile",
    "README.md",
    "requirements.txt",
    "go.mod",
    "Cargo.toml",
    "build.gradle.kts",
    "pom.xml",
    "Gemfile",
    "composer.json",
    ".github/workflows/ci.yml",
    "k8s/deployment.yaml",
    "terraform/main.tf",
    "nginx.conf",
    ".env.example",
    "setup.cfg",
    "jest.config.js",
    "next.config.mjs",
    "tailwind.config.ts",
    ".pre-commit-config.yaml",
    "CHANGELOG.md",
    "alembic.ini",
    "webpack.config.js",
    "helm/values.yaml",
    ".gitignore",
    "CONTRIBUTING.md",
    "openapi.yaml",
    "ruff.toml",
)
DIRECTORIES = (
    "src",
    "src/components",
    "src/§e",
    "tests",
    "internal/§e",
    "app/models",
    "docs",
    "scripts",
    ".github/workflows",
    "packages/§e",
    "services/§e-service",
    "lib/§e",
    "app/api",
    "config",
    "migrations",
    "public/images",
    "k8s",
    "terraform/modules/§e",
    "cmd",
    "crates/§e-core/src",
    "spec/models",
    "notebooks",
    "deploy",
    "infra",
    "src/hooks",
    "src/pages/§s",
    "app/§s",
    "backend/§s",
    "frontend/src",
    "tests/integration",
    "e2e",
    "fixtures/§s",
    "assets",
)
GLOB_PATTERNS = (
    ("**/*.py", "Python files"),
    ("**/*.test.ts", "TypeScript test files"),
    ("src/**/*.tsx", "TSX files under src"),
    ("**/*§e*", "files with §e in the name"),
    ("**/§e/**", "everything under any §e folder"),
    ("**/Dockerfile*", "Dockerfiles"),
    ("**/*.yml", "YAML files"),
    ("**/*.{js,ts}", "JS and TS files"),
    ("tests/**/test_*.py", "pytest test modules"),
    ("**/migrations/*.sql", "SQL migrations"),
    ("**/*.md", "Markdown docs"),
    ("**/package.json", "package.json files"),
    ("**/*_test.go", "Go test files"),
    ("**/*.rs", "Rust sources"),
    ("**/*.proto", "proto files"),
    (".github/workflows/*.yml", "CI workflows"),
    ("**/*.spec.js", "JS spec files"),
    ("**/__init__.py", "__init__ modules"),
    ("**/*.ipynb", "notebooks"),
    ("**/*.scss", "SCSS stylesheets"),
    ("**/*Controller.java", "Java controllers"),
    ("**/*.tf", "Terraform files"),
    ("k8s/**/*.yaml", "Kubernetes manifests"),
    ("src/**/§E*.tsx", "§E components"),
    ("**/*§e*.py", "Python files about §s"),
    ("**/*.kt", "Kotlin files"),
    ("**/*.sql", "SQL files"),
    ("**/*.vue", "Vue components"),
    ("app/models/*.rb", "Rails models"),
    ("**/*.graphql", "GraphQL schemas"),
)
GREP_TERMS = (
    "get§EById",
    "§e_id",
    "handle§ECreated",
    "validate_§e",
    "§U_TIMEOUT",
    "class §EService",
    "def create_§e",
    "fetch§Es",
    "on§EChange",
    "§eRepository",
    "use§EQuery",
    "§ENotFoundError",
    "TODO",
    "FIXME",
    "console.log",
    "print(",
    "debugger",
    "@deprecated",
    "# type: ignore",
    "eslint-disable",
    "unwrap()",
    "panic!(",
    "SELECT * FROM",
    "process.env.",
    "os.environ",
    "localhost:8080",
    "time.sleep(",
    "setTimeout(",
    "HACK",
    "noqa",
    "@Transactional",
    "dangerouslySetInnerHTML",
    "fmt.Println(",
    "System.out.println",
    "except Exception",
    "/api/v1/§s",
    "§s_total",
    "X-Request-Id",
    "retry_count",
    "@pytest.mark.skip",
)
REGEX_PATTERNS = (
    r"def \w*§e\w*\(",
    r"TODO\(\w+\)",
    r"§e_[a-z]+_at",
    r"import .* from 'lodash'",
    r"v\d+\.\d+\.\d+",
    r"class \w+§E",
    r"console\.(log|debug)\(",
    r"^\s*#\s*TODO",
    r"https?://[^\s\"']+",
    r"§E(Service|Repository)",
    r"func \(\w+ \*§E\)",
    r"@app\.(get|post)\(",
    r"fn \w+_§e\(",
    r"useEffect\(\(\) =>",
    r"except \w+Error",
    r"\b§U_[A-Z_]+\b",
)
SYMBOLS = (
    "§EService",
    "create§E",
    "§e_repository",
    "handle§ECreated",
    "§EController",
    "use§EQuery",
    "validate_§e",
    "§ENotFoundError",
    "§U_TIMEOUT",
    "§EStore",
    "§ESerializer",
    "parse§E",
    "§EFactory",
    "send§ENotification",
    "§E",
    "§EStatus",
)
SEMANTIC_QUESTIONS = (
    "where do we validate §e input",
    "how does the §e sync job work",
    "where is the §e cache invalidated",
    "which code sends the §e confirmation email",
    "how are §s persisted to the database",
    "where do we handle §e webhooks",
    "what calls the §e pricing logic",
    "how is authentication done for the §e API",
    "where are §e permissions checked",
    "how do we paginate the §s list",
    "where is the retry logic for §e requests",
    "how are §e events published",
    "which component renders the §e details",
    "where do we map §e rows to DTOs",
    "how is the §e status machine implemented",
    "where are §e feature flags read",
    "how do we rate-limit the §e endpoints",
    "where do §s get soft-deleted",
    "which tests cover §e exports",
    "how are §e errors reported to the client",
)
BRANCH_TOPICS = (
    "cleanup",
    "fix",
    "export",
    "validation",
    "pagination",
    "retry",
    "cache",
    "api",
    "search",
    "perf",
    "refactor",
    "logging",
    "i18n",
    "migration",
)
COMMIT_TEMPLATES = (
    "fix §e pagination",
    "add §e export endpoint",
    "refactor §e validation",
    "handle empty §s list",
    "log §e sync failures",
    "rename §e fields",
    "speed up §e queries",
    "add tests for §e service",
    "drop legacy §e endpoint",
    "document §e API",
)


def fill(template: str, entity: str) -> str:
    """Put `entity` into a `§` template (see the module docstring)."""
    pascal = "".join(part.capitalize() for part in entity.split("_"))
    return (
        template.replace("§U", entity.upper())
        .replace("§E", pascal)
        .replace("§s", plural(entity))
        .replace("§e", entity)
    )


def plural(word: str) -> str:
    if word.endswith(("s", "x", "ch", "sh")):
        return word + "es"
    if word.endswith("y") and word[-2:-1] not in "aeiou":
        return word[:-1] + "ies"
    return word + "s"


def entity(rng: random.Random, split: Split) -> str:
    return choose(rng, ENTITIES, "entity", split)


def language(rng: random.Random) -> Language:
    return rng.choices(LANGUAGES, weights=LANGUAGE_WEIGHTS)[0]


def source_path(
    rng: random.Random, split: Split, lang: Language | None = None, name: str | None = None
) -> str:
    lang = lang or language(rng)
    template = choose(rng, lang.paths, f"paths:{lang.key}", split)
    return _fill_path(rng, template, name or entity(rng, split))


def test_path(rng: random.Random, split: Split, lang: Language | None = None) -> str:
    lang = lang or language(rng)
    template = rng.choice(lang.tests)
    return _fill_path(rng, template, entity(rng, split))


def config_path(rng: random.Random, split: Split) -> str:
    return choose(rng, CONFIG_FILES, "config_files", split)


def any_file_path(rng: random.Random, split: Split) -> str:
    """Mostly source files, some tests and config files, as people open them."""
    roll = rng.random()
    if roll < 0.7:
        return source_path(rng, split)
    if roll < 0.85:
        return test_path(rng, split)
    return config_path(rng, split)


def directory(rng: random.Random, split: Split) -> str:
    return fill(choose(rng, DIRECTORIES, "directories", split), entity(rng, split))


def glob_pattern(rng: random.Random, split: Split) -> tuple[str, str]:
    """(pattern, what it finds in words)."""
    pattern, words = choose(rng, GLOB_PATTERNS, "globs", split)
    name = entity(rng, split)
    return fill(pattern, name), fill(words, name)


def grep_term(rng: random.Random, split: Split) -> str:
    return fill(choose(rng, GREP_TERMS, "grep_terms", split), entity(rng, split))


def regex_pattern(rng: random.Random, split: Split) -> str:
    return fill(choose(rng, REGEX_PATTERNS, "regexes", split), entity(rng, split))


def symbol(rng: random.Random, split: Split) -> str:
    return fill(choose(rng, SYMBOLS, "symbols", split), entity(rng, split))


def semantic_question(rng: random.Random, split: Split) -> str:
    return fill(choose(rng, SEMANTIC_QUESTIONS, "semantic_questions", split), entity(rng, split))


def snippet(rng: random.Random, split: Split, lang: Language, name: str | None = None) -> str:
    template = choose(rng, lang.snippets, f"snippets:{lang.key}", split)
    return fill(template, name or entity(rng, split))


def edit(rng: random.Random, split: Split, lang: Language, name: str) -> tuple[str, str, str]:
    """(old text, new text, what the change does) for a file about `name`."""
    old, new, what = choose(rng, lang.edits, f"edits:{lang.key}", split)
    return fill(old, name), fill(new, name), fill(what, name)


def edits_in(lang: Language, split: Split) -> tuple[tuple[str, str, str], ...]:
    """The edits of `lang` that `split` may use."""
    return partition(lang.edits, f"edits:{lang.key}")[split]


def branch(rng: random.Random, split: Split) -> str:
    topic = choose(rng, BRANCH_TOPICS, "branch_topics", split)
    return f"{rng.choice(('feature', 'fix', 'chore'))}/{entity(rng, split)}-{topic}"


def commit_message(rng: random.Random, split: Split) -> str:
    return fill(choose(rng, COMMIT_TEMPLATES, "commits", split), entity(rng, split))


def language_of_path(path: str) -> Language:
    extension = path.rsplit(".", 1)[-1]
    for lang in LANGUAGES:
        if lang.ext == extension or (lang.key == "typescript" and extension == "tsx"):
            return lang
    return LANGUAGE_BY_KEY["python"]


def _fill_path(rng: random.Random, template: str, name: str) -> str:
    path = fill(template, name)
    return (
        path.replace("§m", rng.choice(PY_MODULES))
        .replace("§n", rng.choice(CAMEL_MODULES))
        .replace("§W", rng.choice(WIDGETS))
        .replace("§J", rng.choice(JAVA_SUFFIXES))
    )
