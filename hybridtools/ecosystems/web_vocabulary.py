"""Realistic web values: documentation URLs, search queries, error messages, GitHub
repositories, VS Code extensions and API topics. Split like every other list."""

from __future__ import annotations

import random

from hybridtools.ecosystems import shell_commands, vocabulary
from hybridtools.ecosystems.splits import Split, choose

_URL_TEMPLATES = (
    "https://docs.python.org/3/library/{pymod}.html",
    "https://developer.mozilla.org/en-US/docs/Web/API/{webapi}",
    "https://react.dev/reference/react/{hook}",
    "https://docs.rs/{crate}/latest/{crate}/",
    "https://pkg.go.dev/{gomod}",
    "https://github.com/{repo}/issues/{n4}",
    "https://github.com/{repo}/pull/{n4}",
    "https://fastapi.tiangolo.com/tutorial/{fastapi}/",
    "https://kubernetes.io/docs/concepts/{k8s}/",
    "https://stackoverflow.com/questions/{n8}",
    "https://www.npmjs.com/package/{npm}",
    "https://pypi.org/project/{py}/",
    "https://docs.djangoproject.com/en/5.1/topics/{django}/",
    "https://tailwindcss.com/docs/{tailwind}",
    "https://www.postgresql.org/docs/current/{postgres}.html",
    "https://docs.docker.com/compose/{compose}/",
    "http://localhost:3000/{entities}",
    "http://localhost:8000/api/{entities}?limit={n2}",
    "https://nodejs.org/api/{nodemod}.html",
    "https://go.dev/doc/{godoc}",
)
_URL_ATOMS: dict[str, tuple[str, ...]] = {
    "pymod": (
        "asyncio",
        "pathlib",
        "dataclasses",
        "functools",
        "itertools",
        "logging",
        "subprocess",
        "argparse",
        "typing",
        "contextlib",
        "json",
        "re",
        "datetime",
        "collections",
        "sqlite3",
        "unittest.mock",
        "concurrent.futures",
    ),
    "webapi": (
        "Fetch_API",
        "IntersectionObserver",
        "Web_Workers_API",
        "WebSocket",
        "Window/localStorage",
        "AbortController",
        "URLSearchParams",
        "ResizeObserver",
        "Clipboard_API",
        "Broadcast_Channel_API",
    ),
    "hook": (
        "useEffect",
        "useMemo",
        "useCallback",
        "useReducer",
        "useRef",
        "useTransition",
        "useSyncExternalStore",
        "useContext",
        "useLayoutEffect",
        "useId",
        "useOptimistic",
    ),
    "fastapi": (
        "dependencies",
        "background-tasks",
        "security",
        "middleware",
        "sql-databases",
        "bigger-applications",
        "testing",
        "cors",
        "handling-errors",
    ),
    "k8s": (
        "workloads/pods",
        "services-networking/ingress",
        "configuration/secret",
        "storage/persistent-volumes",
        "workloads/controllers/deployment",
        "scheduling-eviction/taint-and-toleration",
        "configuration/configmap",
    ),
    "django": (
        "db/queries",
        "auth/default",
        "cache",
        "signals",
        "migrations",
        "testing/overview",
        "http/middleware",
        "db/transactions",
    ),
    "tailwind": (
        "flex",
        "grid-template-columns",
        "dark-mode",
        "responsive-design",
        "hover-focus-and-other-states",
        "container",
        "animation",
    ),
    "postgres": (
        "indexes-types",
        "sql-createindex",
        "functions-json",
        "explicit-locking",
        "ddl-partitioning",
        "tutorial-window",
        "datatype-datetime",
    ),
    "compose": (
        "networking",
        "environment-variables",
        "profiles",
        "startup-order",
        "file-watch",
        "production",
    ),
    "nodemod": ("fs", "stream", "worker_threads", "child_process", "events", "crypto", "http"),
    "godoc": (
        "effective_go",
        "modules/layout",
        "tutorial/generics",
        "database/sql-injection",
        "gc-guide",
    ),
}
REPOSITORIES = (
    "fastapi/fastapi",
    "vercel/next.js",
    "tokio-rs/axum",
    "pallets/flask",
    "facebook/react",
    "django/django",
    "gin-gonic/gin",
    "psf/requests",
    "expressjs/express",
    "pydantic/pydantic",
    "sveltejs/svelte",
    "rust-lang/cargo",
    "kubernetes/kubernetes",
    "microsoft/TypeScript",
    "vitejs/vite",
    "prisma/prisma",
    "encode/httpx",
    "huggingface/transformers",
    "tiangolo/typer",
    "spring-projects/spring-boot",
    "laravel/framework",
    "rails/rails",
    "denoland/deno",
    "astral-sh/ruff",
    "pytest-dev/pytest",
    "tailwindlabs/tailwindcss",
    "vuejs/core",
)
REPOSITORY_TOPICS = (
    "middleware ordering",
    "connection pooling",
    "retry logic",
    "request validation",
    "streaming responses",
    "the router implementation",
    "error handling",
    "config loading",
    "the plugin system",
    "dependency injection",
    "graceful shutdown",
    "cookie parsing",
    "rate limiting",
    "cache invalidation",
    "the CLI entry point",
    "test fixtures",
)
LIBRARIES = (
    ("React", "19"),
    ("Next.js", "15"),
    ("Django", "5.1"),
    ("FastAPI", "0.115"),
    ("TypeScript", "5.6"),
    ("Node.js", "22"),
    ("Python", "3.13"),
    ("Rust", "1.82"),
    ("Go", "1.23"),
    ("Vue", "3.5"),
    ("Svelte", "5"),
    ("Tailwind CSS", "4"),
    ("pydantic", "2.9"),
    ("Kotlin", "2.0"),
    ("Spring Boot", "3.3"),
    ("PostgreSQL", "17"),
    ("Kubernetes", "1.31"),
    ("Vite", "6"),
    ("Angular", "19"),
    ("Deno", "2"),
    ("Bun", "1.1"),
    ("Rails", "8"),
    ("Laravel", "11"),
    ("Flutter", "3.24"),
    (".NET", "9"),
    ("Terraform", "1.9"),
)
TASKS = (
    "debounce a function",
    "parse ISO 8601 dates",
    "stream a large file",
    "generate a UUID",
    "retry HTTP requests with backoff",
    "read environment variables",
    "deep copy an object",
    "sort a map by value",
    "hash a password",
    "paginate a SQL query",
    "cancel a fetch request",
    "format a number as currency",
    "validate an email address",
    "upload a file to S3",
    "run a cron job",
    "mock a module in tests",
    "profile memory usage",
    "set up CORS",
    "handle graceful shutdown",
    "lazy load images",
    "write a custom hook",
    "use generics",
)
ERRORS = (
    "ModuleNotFoundError: No module named '§P'",
    "TypeError: Cannot read properties of undefined (reading '§e')",
    "error[E0382]: borrow of moved value: `§e`",
    "connect ECONNREFUSED 127.0.0.1:5432",
    "No 'Access-Control-Allow-Origin' header is present on the requested resource",
    "fatal: refusing to merge unrelated histories",
    "panic: assignment to entry in nil map",
    "Error [ERR_REQUIRE_ESM]: require() of ES Module",
    "SSL: CERTIFICATE_VERIFY_FAILED",
    "Hydration failed because the initial UI does not match what was rendered on the server",
    "Cannot find module '§N' or its corresponding type declarations",
    "UnicodeDecodeError: 'utf-8' codec can't decode byte 0xff",
    "sqlalchemy.exc.OperationalError: database is locked",
    "java.lang.OutOfMemoryError: Java heap space",
    "Property '§e' does not exist on type 'never'",
    "Too many re-renders. React limits the number of renders",
)
_QUERY_TEMPLATES = (
    "{lib} {version} release notes",
    "{lib} {version} breaking changes",
    "how to {task} in {lang}",
    "{error}",
    "{lib} {error_short}",
    "{lib} vs {lib2} for {task}",
    "latest stable version of {lib}",
    "best way to {task} with {lib}",
    "{lib} {version} changelog",
    "is {lib} {version} LTS",
    "{lang} {task} example",
)
VSCODE_API_TOPICS = (
    "TreeDataProvider",
    "commands.registerCommand",
    "window.showQuickPick",
    "workspace.onDidChangeConfiguration",
    "WebviewPanel postMessage",
    "StatusBarItem",
    "languages.registerCompletionItemProvider",
    "TextEditorDecorationType",
    "workspace.createFileSystemWatcher",
    "SecretStorage",
    "CodeLens provider",
    "DiagnosticCollection",
    "TaskProvider",
    "authentication.getSession",
    "InlineCompletionItemProvider",
    "NotebookSerializer",
    "debug.startDebugging",
    "env.clipboard",
)
EXTENSIONS = (
    ("ms-python.python", "Python"),
    ("esbenp.prettier-vscode", "Prettier - Code formatter"),
    ("dbaeumer.vscode-eslint", "ESLint"),
    ("rust-lang.rust-analyzer", "rust-analyzer"),
    ("golang.go", "Go"),
    ("ms-azuretools.vscode-docker", "Docker"),
    ("eamodio.gitlens", "GitLens"),
    ("bradlc.vscode-tailwindcss", "Tailwind CSS IntelliSense"),
    ("ms-toolsai.jupyter", "Jupyter"),
    ("redhat.vscode-yaml", "YAML"),
    ("hashicorp.terraform", "HashiCorp Terraform"),
    ("ms-vscode.cpptools", "C/C++"),
    ("vscjava.vscode-java-pack", "Extension Pack for Java"),
    ("streetsidesoftware.code-spell-checker", "Code Spell Checker"),
    ("prisma.prisma", "Prisma"),
    ("svelte.svelte-vscode", "Svelte for VS Code"),
    ("vue.volar", "Vue - Official"),
    ("charliermarsh.ruff", "Ruff"),
    ("ms-python.black-formatter", "Black Formatter"),
    ("ms-kubernetes-tools.vscode-kubernetes-tools", "Kubernetes"),
)
_LANGUAGE_NAMES = ("Python", "TypeScript", "JavaScript", "Go", "Rust", "Java", "Kotlin", "C#")


def url(rng: random.Random, split: Split) -> str:
    template = choose(rng, _URL_TEMPLATES, "url_templates", split)
    values = {key: choose(rng, atoms, f"url:{key}", split) for key, atoms in _URL_ATOMS.items()}
    values |= {
        "crate": choose(rng, shell_commands.CRATES, "crates", split),
        "gomod": choose(rng, shell_commands.GO_MODULES, "go_modules", split),
        "npm": choose(rng, shell_commands.NPM_PACKAGES, "npm_packages", split),
        "py": choose(rng, shell_commands.PY_PACKAGES, "py_packages", split),
        "repo": repository(rng, split),
        "entities": vocabulary.plural(vocabulary.entity(rng, split)),
        "n2": str(rng.choice((10, 20, 25, 50, 100))),
        "n4": str(rng.randint(100, 39999)),
        "n8": str(rng.randint(10_000_000, 79_999_999)),
    }
    return template.format(**values)


def repository(rng: random.Random, split: Split) -> str:
    return choose(rng, REPOSITORIES, "repositories", split)


def repository_topic(rng: random.Random, split: Split) -> str:
    return choose(rng, REPOSITORY_TOPICS, "repository_topics", split)


def error_message(rng: random.Random, split: Split) -> str:
    template = choose(rng, ERRORS, "errors", split)
    template = template.replace("§P", choose(rng, shell_commands.PY_PACKAGES, "py_packages", split))
    template = template.replace(
        "§N", choose(rng, shell_commands.NPM_PACKAGES, "npm_packages", split)
    )
    return vocabulary.fill(template, vocabulary.entity(rng, split))


def web_query(rng: random.Random, split: Split) -> str:
    template = choose(rng, _QUERY_TEMPLATES, "query_templates", split)
    lib, version = choose(rng, LIBRARIES, "libraries", split)
    lib2, _ = choose(rng, LIBRARIES, "libraries", split)
    error = error_message(rng, split)
    return template.format(
        lib=lib,
        lib2=lib2 if lib2 != lib else "Express",
        version=version,
        task=choose(rng, TASKS, "tasks", split),
        lang=rng.choice(_LANGUAGE_NAMES),
        error=error,
        error_short=error.split(":")[0],
    )


def documentation_question(rng: random.Random, split: Split) -> str:
    """What to look for on a fetched page."""
    return f"how to {choose(rng, TASKS, 'tasks', split)}"


def vscode_api_topic(rng: random.Random, split: Split) -> str:
    return choose(rng, VSCODE_API_TOPICS, "vscode_api", split)


def extension(rng: random.Random, split: Split) -> tuple[str, str]:
    return choose(rng, EXTENSIONS, "extensions", split)
