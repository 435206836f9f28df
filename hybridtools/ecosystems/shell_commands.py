"""Shell commands IDE users run, with what each is for and how it behaves.

Two flags drive tool arguments that the probe saw the model get wrong:
- `background`: long-running (dev servers, watchers, log tails), so Cursor's
  is_background / Copilot's isBackground are true and Continue's
  waitForCompletion is false. A plain `pytest -q` is never background.
- `risky`: changes the system or the network (installs, pushes, deletions,
  migrations), so Cline's requires_approval is true, following Cline's own
  guidance for that parameter.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from hybridtools.ecosystems import vocabulary
from hybridtools.ecosystems.splits import Split, choose

PY_PACKAGES = (
    "requests",
    "httpx",
    "pydantic",
    "sqlalchemy",
    "fastapi",
    "numpy",
    "pandas",
    "pytest-cov",
    "rich",
    "click",
    "typer",
    "celery",
    "redis",
    "boto3",
    "alembic",
    "structlog",
    "orjson",
    "tenacity",
    "python-dotenv",
    "jinja2",
    "polars",
    "scikit-learn",
    "matplotlib",
    "aiohttp",
    "uvicorn",
    "pytest-asyncio",
    "freezegun",
    "hypothesis",
)
NPM_PACKAGES = (
    "lodash",
    "axios",
    "zod",
    "@tanstack/react-query",
    "date-fns",
    "express",
    "dotenv",
    "vitest",
    "tailwindcss",
    "prisma",
    "@types/node",
    "uuid",
    "dayjs",
    "clsx",
    "msw",
    "supertest",
    "pino",
    "socket.io",
    "swr",
    "yup",
    "react-hook-form",
    "eslint-config-prettier",
    "jsonwebtoken",
    "nanoid",
    "chart.js",
    "framer-motion",
)
CRATES = (
    "serde",
    "tokio",
    "anyhow",
    "clap",
    "reqwest",
    "thiserror",
    "tracing",
    "rayon",
    "chrono",
    "regex",
    "sqlx",
    "axum",
    "serde_json",
    "itertools",
    "once_cell",
)
GO_MODULES = (
    "github.com/gin-gonic/gin",
    "github.com/spf13/cobra",
    "github.com/stretchr/testify",
    "go.uber.org/zap",
    "github.com/google/uuid",
    "gorm.io/gorm",
    "github.com/redis/go-redis/v9",
    "github.com/jackc/pgx/v5",
)


@dataclass(frozen=True)
class Command:
    command: str
    purpose: str  # a short explanation, as Copilot's `explanation` argument wants
    background: bool = False
    risky: bool = False


# (command, purpose, flags): "bg" background, "risky" needs approval. § marks as in vocabulary;
# §P / §N / §C / §G a Python / npm / crate / Go package, §B a branch, §M a commit message.
_COMMANDS: tuple[tuple[str, str, str], ...] = (
    ("pytest", "Run the test suite", ""),
    ("pytest -q", "Run the tests quietly", ""),
    ("pytest tests/test_§e_service.py", "Run the §e service tests", ""),
    ("pytest -k §e -x", "Run the §e tests and stop at the first failure", ""),
    ("python -m pytest --cov=src", "Run the tests with coverage", ""),
    ("npm test", "Run the test suite", ""),
    ("npm run test -- --watch=false", "Run the tests once", ""),
    ("yarn test §e", "Run the §e tests", ""),
    ("npx jest src/§e", "Run the Jest tests for §e", ""),
    ("npx vitest run", "Run the Vitest suite once", ""),
    ("go test ./...", "Run all Go tests", ""),
    ("go test ./internal/§e/...", "Run the §e package tests", ""),
    ("go test -race ./...", "Run the Go tests with the race detector", ""),
    ("cargo test", "Run the Rust tests", ""),
    ("cargo test §e", "Run the §e tests", ""),
    ("mvn test", "Run the Maven tests", ""),
    ("./gradlew test", "Run the Gradle tests", ""),
    ("dotnet test", "Run the .NET tests", ""),
    ("bundle exec rspec spec/models/§e_spec.rb", "Run the §e model specs", ""),
    ("php artisan test", "Run the Laravel tests", ""),
    ("make test", "Run the tests through make", ""),
    ("tox -e py311", "Run the tests under Python 3.11", ""),
    ("npx playwright test", "Run the end-to-end tests", ""),
    ("npm run build", "Build the project", ""),
    ("cargo build --release", "Build a release binary", ""),
    ("go build ./...", "Build all Go packages", ""),
    ("make", "Build with make", ""),
    ("mvn package -DskipTests", "Package the app without tests", ""),
    ("./gradlew assembleDebug", "Build the debug APK", ""),
    ("dotnet build", "Build the solution", ""),
    ("docker build -t §e-service .", "Build the §e-service image", ""),
    ("npx tsc --noEmit", "Type-check the project", ""),
    ("python -m build", "Build the Python package", ""),
    ("cmake --build build", "Build the CMake project", ""),
    ("swift build", "Build the Swift package", ""),
    ("ruff check .", "Lint the Python code", ""),
    ("ruff format .", "Format the Python code", ""),
    ("black src tests", "Format with black", ""),
    ("npx eslint src --fix", "Lint and fix the sources", ""),
    ("npx prettier --write .", "Format everything with prettier", ""),
    ("cargo clippy -- -D warnings", "Run clippy with warnings as errors", ""),
    ("golangci-lint run", "Lint the Go code", ""),
    ("mypy src", "Type-check the Python sources", ""),
    ("bundle exec rubocop -a", "Lint and autocorrect the Ruby code", ""),
    ("go vet ./...", "Vet the Go code", ""),
    ("cargo fmt", "Format the Rust code", ""),
    ("pip install §P", "Install §P", "risky"),
    ("npm install §N", "Install §N", "risky"),
    ("yarn add §N", "Add §N", "risky"),
    ("pnpm add §N", "Add §N", "risky"),
    ("cargo add §C", "Add the §C crate", "risky"),
    ("go get §G", "Add §G", "risky"),
    ("poetry add §P", "Add §P with poetry", "risky"),
    ("uv add §P", "Add §P with uv", "risky"),
    ("npm install --save-dev §N", "Add §N as a dev dependency", "risky"),
    ("pip install -r requirements.txt", "Install the Python requirements", "risky"),
    ("npm ci", "Install the locked npm dependencies", "risky"),
    ("bundle install", "Install the gems", "risky"),
    ("git status", "Show the working tree status", ""),
    ("git log --oneline -20", "Show the last 20 commits", ""),
    ("git diff --stat", "Summarise the uncommitted changes", ""),
    ("git branch -a", "List all branches", ""),
    ("git show HEAD --stat", "Show the last commit", ""),
    ("git checkout -b §B", "Create the branch §B", ""),
    ('git commit -am "§M"', "Commit the changes", "risky"),
    ("git push origin §B", "Push §B", "risky"),
    ("git pull --rebase", "Pull and rebase on the remote", "risky"),
    ("git stash", "Stash the local changes", "risky"),
    ("git fetch --all --prune", "Fetch all remotes", "risky"),
    ("npm run dev", "Start the dev server", "bg"),
    ("yarn start", "Start the app", "bg"),
    ("python manage.py runserver", "Start the Django dev server", "bg"),
    ("uvicorn app.main:app --reload", "Start the API with reload", "bg"),
    ("flask --app app run --debug", "Start the Flask dev server", "bg"),
    ("docker compose up", "Start the compose stack", "bg"),
    ("go run ./cmd/§ed", "Run the §ed server", "bg"),
    ("bin/rails server", "Start the Rails server", "bg"),
    ("python -m http.server 8000", "Serve this folder on port 8000", "bg"),
    ("npx storybook dev -p 6006", "Start Storybook", "bg"),
    ("jupyter lab", "Start JupyterLab", "bg"),
    ("celery -A app worker --loglevel=info", "Start a Celery worker", "bg"),
    ("npx tsc --watch", "Type-check in watch mode", "bg"),
    ("npm run watch", "Rebuild on changes", "bg"),
    ("kubectl port-forward svc/§e-service 8080:80", "Forward port 8080 to §e-service", "bg"),
    ("docker compose logs -f §e", "Follow the §e logs", "bg"),
    ("tail -f logs/§e.log", "Follow the §e log", "bg"),
    ("npx next dev", "Start the Next.js dev server", "bg"),
    ("alembic upgrade head", "Apply the database migrations", "risky"),
    ("python manage.py migrate", "Apply the Django migrations", "risky"),
    ("npx prisma migrate dev --name add_§e_index", "Create and apply a Prisma migration", "risky"),
    ("bin/rails db:migrate", "Run the Rails migrations", "risky"),
    ('alembic revision --autogenerate -m "add §e table"', "Generate a migration", "risky"),
    ("docker ps", "List running containers", ""),
    ("kubectl get pods -n §e", "List the pods in the §e namespace", ""),
    ("kubectl logs deploy/§e-service --tail=100", "Show recent §e-service logs", ""),
    ("ls -la", "List the folder with details", ""),
    ("du -sh node_modules", "Show the size of node_modules", ""),
    ("node --version", "Show the Node version", ""),
    ("python --version", "Show the Python version", ""),
    ("tail -n 50 logs/§e.log", "Show the end of the §e log", ""),
    ("npm outdated", "List outdated npm packages", ""),
    ("pip list --outdated", "List outdated Python packages", ""),
    ("cargo tree -d", "Show duplicate crates", ""),
    ("terraform plan", "Preview the infrastructure changes", ""),
    ("rm -rf node_modules", "Delete node_modules", "risky"),
    ("rm -rf dist build", "Delete the build output", "risky"),
    ("chmod +x scripts/deploy.sh", "Make the deploy script executable", "risky"),
    ("docker compose down", "Stop the compose stack", "risky"),
    ("npm uninstall §N", "Remove §N", "risky"),
    ("pip uninstall -y §P", "Uninstall §P", "risky"),
    ("terraform apply", "Apply the infrastructure changes", "risky"),
    ("kubectl rollout restart deploy/§e-service", "Restart the §e-service pods", "risky"),
    ("make clean", "Clean the build", "risky"),
)

# (how people say it, command template) for "install X with Y" requests.
PACKAGE_MANAGERS = (
    ("pip", "pip install §P", "§P"),
    ("poetry", "poetry add §P", "§P"),
    ("uv", "uv add §P", "§P"),
    ("npm", "npm install §N", "§N"),
    ("yarn", "yarn add §N", "§N"),
    ("pnpm", "pnpm add §N", "§N"),
    ("cargo", "cargo add §C", "§C"),
    ("go get", "go get §G", "§G"),
)


def command(rng: random.Random, split: Split) -> Command:
    template, purpose, flags = choose(rng, _COMMANDS, "commands", split)
    values = _placeholder_values(rng, split)
    return Command(
        command=_fill(template, values),
        purpose=_fill(purpose, values),
        background="bg" in flags,
        risky="risky" in flags,
    )


def install(rng: random.Random, split: Split) -> tuple[str, str, Command]:
    """(manager as said, package, the install command)."""
    manager, template, slot = rng.choice(PACKAGE_MANAGERS)
    values = _placeholder_values(rng, split)
    package = values[slot]
    text = _fill(template, values)
    return manager, package, Command(text, f"Install {package}", background=False, risky=True)


def _placeholder_values(rng: random.Random, split: Split) -> dict[str, str]:
    return {
        "§P": choose(rng, PY_PACKAGES, "py_packages", split),
        "§N": choose(rng, NPM_PACKAGES, "npm_packages", split),
        "§C": choose(rng, CRATES, "crates", split),
        "§G": choose(rng, GO_MODULES, "go_modules", split),
        "§B": vocabulary.branch(rng, split),
        "§M": vocabulary.commit_message(rng, split),
        "§entity": vocabulary.entity(rng, split),
    }


def _fill(template: str, values: dict[str, str]) -> str:
    for marker in ("§P", "§N", "§C", "§G", "§B", "§M"):
        template = template.replace(marker, values[marker])
    return vocabulary.fill(template, values["§entity"])
