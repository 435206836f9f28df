"""Requests that need no tool, with plain answers: concepts, inline snippets, general
coding questions and chit-chat.

They teach (and test) the other half of tool use: not calling a tool when the
request is answerable in words, even with tools listed in the prompt. Topics
and phrasings are split train / held-out like every other list.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from hybridtools.ecosystems.phrasing import phrase, template_split
from hybridtools.ecosystems.splits import Split, partition, rng_for

# (topic as it fits "what is {topic}?", a short correct answer)
CONCEPTS = (
    (
        "a closure",
        "A closure is a function that keeps access to the variables of the scope it "
        "was created in, even after that scope has returned.",
    ),
    (
        "a race condition",
        "A race condition is a bug where the result depends on the timing of "
        "concurrent operations, for example two threads updating the same counter without a lock.",
    ),
    (
        "a mutex",
        "A mutex is a lock that lets only one thread at a time enter a critical section, "
        "so shared data is not modified concurrently.",
    ),
    (
        "dependency injection",
        "Dependency injection means passing an object its collaborators "
        "(a database client, a clock) instead of having it create them, which makes it easier to "
        "test and to reconfigure.",
    ),
    (
        "the difference between a process and a thread",
        "A process has its own memory space; "
        "threads run inside a process and share its memory, so they are cheaper to create but need "
        "synchronisation.",
    ),
    (
        "big O notation",
        "Big O notation describes how an algorithm's running time or memory grows "
        "with the input size, ignoring constant factors: O(n) grows linearly, O(n^2) "
        "quadratically.",
    ),
    (
        "memoization",
        "Memoization caches a function's results by its arguments so repeated calls "
        "with the same input return the stored result instead of recomputing it.",
    ),
    (
        "event bubbling in the DOM",
        "Event bubbling means an event fired on an element is then "
        "dispatched to its ancestors, one after another, up to the document; stopPropagation() "
        "stops it.",
    ),
    (
        "the CAP theorem",
        "The CAP theorem says a distributed store cannot guarantee consistency, "
        "availability and partition tolerance at once: during a network partition it must give up "
        "one of consistency or availability.",
    ),
    (
        "eventual consistency",
        "Eventual consistency means replicas may briefly disagree after a "
        "write, but converge to the same value if no new writes arrive.",
    ),
    (
        "a deadlock",
        "A deadlock happens when two or more tasks each hold a resource the other "
        "needs and wait forever; acquiring locks in a fixed order avoids it.",
    ),
    (
        "tail recursion",
        "Tail recursion is recursion where the recursive call is the last thing a "
        "function does, so a compiler can reuse the stack frame instead of growing the stack.",
    ),
    (
        "a JWT",
        "A JWT (JSON Web Token) is a signed, base64url-encoded JSON payload used to carry "
        "claims such as a user id; the server verifies the signature instead of storing sessions.",
    ),
    (
        "CORS",
        "CORS (Cross-Origin Resource Sharing) is the browser mechanism that lets a server "
        "say, through Access-Control-Allow-* headers, which other origins may call it.",
    ),
    (
        "idempotency in HTTP APIs",
        "An idempotent request has the same effect whether it is sent "
        "once or several times; GET, PUT and DELETE should be idempotent, POST usually is not.",
    ),
    (
        "optimistic locking",
        "Optimistic locking lets writers proceed without locks and checks a "
        "version number on save; if someone else changed the row first, the save fails and "
        "retries.",
    ),
    (
        "a B-tree index",
        "A B-tree index keeps keys sorted in a balanced tree so lookups, range "
        "scans and ordered reads take logarithmic time.",
    ),
    (
        "garbage collection",
        "Garbage collection automatically frees memory that the program can "
        "no longer reach, so you do not free objects by hand.",
    ),
    (
        "the event loop in JavaScript",
        "The event loop runs one task at a time from a queue; "
        "callbacks, promises and timers are queued and run when the call stack is empty.",
    ),
    (
        "a generator in Python",
        "A generator is a function that uses yield to produce values one "
        "at a time, keeping its state between calls, so it can stream large sequences lazily.",
    ),
    (
        "duck typing",
        "Duck typing means an object is judged by the methods it has rather than its "
        "declared type: if it has .read(), it can be used where a file is expected.",
    ),
    (
        "semantic versioning",
        "Semantic versioning numbers releases MAJOR.MINOR.PATCH: breaking "
        "changes bump MAJOR, new features MINOR, bug fixes PATCH.",
    ),
    (
        "a hash map",
        "A hash map stores key-value pairs in buckets chosen by a hash of the key, "
        "giving average O(1) lookups and inserts.",
    ),
    (
        "SQL injection",
        "SQL injection is an attack where user input is pasted into a query string "
        "and changes the query; bound parameters prevent it.",
    ),
    (
        "a foreign key",
        "A foreign key is a column that references the primary key of another "
        "table, and the database keeps the reference valid.",
    ),
    (
        "database normalization",
        "Normalization organises tables so each fact is stored once, "
        "which avoids update anomalies; it usually means splitting repeated data into tables "
        "linked by keys.",
    ),
    (
        "a virtual DOM",
        "A virtual DOM is an in-memory copy of the UI tree; a framework diffs the "
        "new copy against the old one and applies only the changes to the real DOM.",
    ),
    (
        "the borrow checker in Rust",
        "The borrow checker enforces at compile time that a value has "
        "either one mutable reference or any number of shared ones, which rules out data races.",
    ),
    (
        "a goroutine",
        "A goroutine is a lightweight thread managed by the Go runtime; you start "
        "one with the go keyword and they communicate through channels.",
    ),
    (
        "the difference between a Docker image and a container",
        "An image is a read-only template "
        "of a filesystem and a command; a container is a running instance of an image with its own "
        "writable layer.",
    ),
    (
        "a pure function",
        "A pure function returns the same output for the same input and has no "
        "side effects, which makes it easy to test and cache.",
    ),
    (
        "a message queue",
        "A message queue stores messages from producers until consumers process "
        "them, decoupling services and smoothing out load spikes.",
    ),
    (
        "rate limiting",
        "Rate limiting caps how many requests a client may make in a time window, "
        "for example with a token bucket, to protect a service from overload.",
    ),
    (
        "a reverse proxy",
        "A reverse proxy sits in front of servers and forwards client requests "
        "to them, often adding TLS termination, caching and load balancing.",
    ),
    (
        "the difference between unit and integration tests",
        "Unit tests check one small piece in "
        "isolation; integration tests check that several pieces work together, such as code plus "
        "a real database.",
    ),
    (
        "a mock object",
        "A mock is a stand-in for a real dependency that records how it was called "
        "and returns canned answers, so a test can run without the real thing.",
    ),
    (
        "continuous integration",
        "Continuous integration means every change is merged often and "
        "automatically built and tested, so breakages are caught early.",
    ),
    (
        "a git rebase",
        "A rebase replays your commits on top of another branch, giving a linear "
        "history; it rewrites those commits, so avoid it on branches others share.",
    ),
    (
        "technical debt",
        "Technical debt is the future cost of shortcuts taken now, such as "
        "missing tests or tangled code, paid back as slower changes later.",
    ),
    (
        "a microservice",
        "A microservice is a small, independently deployable service that owns "
        "one business capability and talks to others over the network.",
    ),
    (
        "an N+1 query problem",
        "The N+1 problem is running one query for a list and then one more "
        "per item; eager loading or a join fetches everything in one or two queries.",
    ),
    (
        "a promise in JavaScript",
        "A promise represents a value that will be available later; you "
        "attach then/catch handlers or await it.",
    ),
    (
        "a webhook",
        "A webhook is an HTTP callback: a service calls a URL you registered when an "
        "event happens, instead of you polling for it.",
    ),
    (
        "a monorepo",
        "A monorepo keeps many projects in one repository so they share tooling and "
        "can change together in one commit.",
    ),
    (
        "an ORM",
        "An ORM maps database tables to classes so you work with objects instead of "
        "writing SQL by hand.",
    ),
)
_CONCEPT_TEMPLATES = (
    "explain {topic}",
    "what is {topic}?",
    "what's {topic}?",
    "explain {topic} simply",
    "ELI5: {topic}",
    "how would you describe {topic} to a junior dev?",
    "quick question: what is {topic}?",
    "define {topic}",
    "I never understood {topic}, help",
    "in two sentences, what is {topic}?",
    "tell me about {topic}",
    "describe {topic} briefly",
)
# (task as it fits "a {language} function that {task}", language, answer)
SNIPPETS = (
    (
        "reverses a string",
        "Python",
        "```python\ndef reverse(text: str) -> str:\n    return text[::-1]\n```",
    ),
    (
        "checks if a number is prime",
        "Python",
        "```python\ndef is_prime(n: int) -> bool:\n    if n < 2:\n        return False\n"
        "    return all(n % d for d in range(2, int(n**0.5) + 1))\n```",
    ),
    (
        "removes duplicates from a list while keeping order",
        "Python",
        "```python\ndef dedupe(items):\n    return list(dict.fromkeys(items))\n```",
    ),
    (
        "debounces a function",
        "JavaScript",
        "```javascript\nfunction debounce(fn, ms) {\n  let timer;\n  return (...args) => {\n"
        "    clearTimeout(timer);\n    timer = setTimeout(() => fn(...args), ms);\n  };\n}\n```",
    ),
    (
        "capitalizes the first letter of a string",
        "JavaScript",
        "```javascript\nconst capitalize = (s) => s.charAt(0).toUpperCase() + s.slice(1);\n```",
    ),
    (
        "sums an array of numbers",
        "TypeScript",
        "```typescript\nconst sum = (values: number[]): number =>\n"
        "  values.reduce((a, b) => a + b, 0);\n```",
    ),
    (
        "sleeps for some milliseconds",
        "TypeScript",
        "```typescript\nconst sleep = (ms: number) =>\n"
        "  new Promise<void>((resolve) => setTimeout(resolve, ms));\n```",
    ),
    (
        "reads a file into a string",
        "Go",
        '```go\ndata, err := os.ReadFile(path)\nif err != nil {\n\treturn "", err\n}\n'
        "return string(data), nil\n```",
    ),
    (
        "returns the maximum of two ints",
        "Go",
        "```go\nfunc maxInt(a, b int) int {\n\tif a > b {\n\t\treturn a\n\t}\n\treturn b\n}\n```",
    ),
    (
        "counts the words in a string",
        "Rust",
        "```rust\nfn word_count(text: &str) -> usize {\n"
        "    text.split_whitespace().count()\n}\n```",
    ),
    (
        "checks if a string is a palindrome",
        "Python",
        "```python\ndef is_palindrome(text: str) -> bool:\n"
        "    cleaned = [c.lower() for c in text if c.isalnum()]\n"
        "    return cleaned == cleaned[::-1]\n```",
    ),
    (
        "flattens a nested list one level",
        "Python",
        "```python\ndef flatten(rows):\n    return [item for row in rows for item in row]\n```",
    ),
    (
        "chunks a list into pieces of size n",
        "Python",
        "```python\ndef chunks(items, n):\n"
        "    return [items[i:i + n] for i in range(0, len(items), n)]\n```",
    ),
    (
        "groups objects by a key",
        "JavaScript",
        "```javascript\nconst groupBy = (items, key) =>\n  items.reduce((acc, item) => {\n"
        "    (acc[item[key]] ||= []).push(item);\n    return acc;\n  }, {});\n```",
    ),
    (
        "formats a date as YYYY-MM-DD",
        "Python",
        "```python\nfrom datetime import date\n\n\n"
        "def iso_day(day: date) -> str:\n    return day.isoformat()\n```",
    ),
    ("swaps two variables", "Python", "```python\na, b = b, a\n```"),
    (
        "checks whether an object is empty",
        "JavaScript",
        "```javascript\nconst isEmpty = (obj) => Object.keys(obj).length === 0;\n```",
    ),
    (
        "computes a factorial",
        "Rust",
        "```rust\nfn factorial(n: u64) -> u64 {\n    (1..=n).product()\n}\n```",
    ),
    (
        "returns the last element of a slice",
        "Go",
        "```go\nfunc last(items []string) (string, bool) {\n"
        '\tif len(items) == 0 {\n\t\treturn "", false\n'
        "\t}\n\treturn items[len(items)-1], true\n}\n```",
    ),
    (
        "converts Celsius to Fahrenheit",
        "TypeScript",
        "```typescript\nconst toFahrenheit = (celsius: number): number =>\n"
        "  (celsius * 9) / 5 + 32;\n```",
    ),
)
_SNIPPET_TEMPLATES = (
    "write a {language} function that {task}",
    "give me {language} code that {task}",
    "how do I write a {language} function that {task}?",
    "show a quick {language} example that {task}",
    "just paste a {language} snippet that {task}, no file needed",
    "what's the {language} for a function that {task}?",
    "{language}: a function that {task}",
    "I need a {language} helper that {task}, inline is fine",
    "write me a tiny {language} function that {task}",
    "sketch a {language} function that {task}",
)
GENERAL_QUESTIONS = (
    (
        "should I use tabs or spaces?",
        "Use whatever the project's formatter enforces; consistency "
        "matters more than the choice. Most style guides pick spaces (4 in Python, 2 in JS).",
    ),
    (
        "is it bad to commit directly to main?",
        "On a shared project, usually yes: a branch and a "
        "pull request give review and CI a chance to catch problems first.",
    ),
    (
        "how long should a function be?",
        "Short enough to do one thing and fit on a screen; when "
        "you need comments to separate its parts, split it.",
    ),
    (
        "when should I write comments?",
        "When the code cannot say why: intent, trade-offs, "
        "workarounds. Let names and structure say what.",
    ),
    (
        "is 100% test coverage worth it?",
        "Rarely. Aim to cover the behaviour that matters and the "
        "risky paths; the last few percent usually cost more than they catch.",
    ),
    (
        "how many arguments is too many for a function?",
        "Beyond three or four, callers start "
        "mixing them up; group related ones into an object or a dataclass.",
    ),
    (
        "should I learn Rust or Go first?",
        "Go is quicker to be productive in; Rust teaches more "
        "about memory and types. Pick the one your next project needs.",
    ),
    (
        "how do I get better at code reviews?",
        "Review often, start with the intent and design "
        "before nits, ask questions instead of giving orders, and keep each review small.",
    ),
    (
        "what makes a good commit message?",
        "A short imperative summary line (under ~72 "
        "characters), a blank line, then why the change was made.",
    ),
    (
        "is Python too slow for a web backend?",
        "For most web backends no: they wait on the "
        "database and network. Profile first, and move only proven hot spots to faster code.",
    ),
    (
        "what's a good name for a boolean that says if a user is active?",
        "is_active (or isActive in camelCase code): a question that reads well in an if statement.",
    ),
    (
        "monolith or microservices for a new startup?",
        "Start with a well-structured monolith; "
        "split out services later when a part clearly needs to scale or deploy on its own.",
    ),
    (
        "how should I structure a REST API's URLs?",
        "Use plural nouns for collections (/users), "
        "ids for items (/users/42), nesting for ownership (/users/42/orders), and HTTP verbs for "
        "actions.",
    ),
    (
        "SQL or NoSQL for a small app?",
        "SQL, by default: a relational database like PostgreSQL "
        "or SQLite handles most small apps and keeps your data consistent.",
    ),
    (
        "is it worth adding type hints to an old Python codebase?",
        "Yes, gradually: start with "
        "public functions and new code, and run a type checker in CI on the typed parts.",
    ),
    (
        "how do I estimate a task better?",
        "Break it into pieces of a day or less, estimate those, "
        "add time for testing and review, and compare with what past tasks really took.",
    ),
    (
        "when should I use a class instead of functions?",
        "When data and the operations on it "
        "belong together and keep state; for stateless transformations, plain functions are "
        "simpler.",
    ),
    (
        "what's the point of a linter?",
        "It catches bugs and style issues automatically, before "
        "review, so people can discuss design instead of formatting.",
    ),
    (
        "do I need Kubernetes for a side project?",
        "Almost certainly not: a single VM, a PaaS or docker compose is simpler and cheaper.",
    ),
    (
        "is it fine to use global variables?",
        "Avoid mutable globals: they make code hard to test and reason about. Constants are fine.",
    ),
)
_GENERAL_TEMPLATES = (
    "{question}",
    "quick question: {question}",
    "just curious, {question}",
    "in your opinion, {question}",
    "{question} what do you think?",
    "hey, {question}",
    "general question: {question}",
    "no need to look at the code: {question}",
)
CHIT_CHAT = (
    ("thanks!", "You're welcome! Anything else?"),
    ("thank you so much", "Happy to help!"),
    ("hi", "Hi! What are you working on?"),
    ("hello there", "Hello! How can I help?"),
    ("good morning", "Good morning! What shall we work on?"),
    ("you're awesome", "Thanks! Glad it helped."),
    ("how are you?", "I'm doing well, thanks. What can I help you with?"),
    ("that worked, thanks", "Great, glad it works!"),
    ("never mind", "No problem. Let me know if you need anything."),
    ("ok cool", "Let me know what's next."),
    (
        "what can you do?",
        "I can read and edit files, run commands and search your code with "
        "the tools your IDE gives me, or just answer questions. What do you need?",
    ),
    ("who are you?", "I'm a coding assistant running in your editor."),
    ("brb", "Sure, I'll be here."),
    ("sorry, wrong window", "No worries!"),
    ("good night", "Good night! See you next time."),
    ("nice work", "Thank you!"),
    ("that didn't help", "Sorry about that. Can you tell me what you expected?"),
    ("I'm back", "Welcome back! Where were we?"),
    ("can you hear me?", "Yes, I'm here. What do you need?"),
    ("let's take a break", "Sounds good. I'll be here when you're back."),
    ("happy friday!", "Happy Friday! Anything to wrap up before the weekend?"),
    ("are you a bot?", "Yes, I'm an AI coding assistant."),
    ("great job on that refactor", "Thanks! Happy to help with the next one."),
    ("I'm stuck", "Let's sort it out. What are you trying to do, and what happens instead?"),
    ("hmm", "Anything I can help clarify?"),
)
_CHAT_TEMPLATES = ("{question}", "{question}!", "{question} :)", "hey, {question}", "{question}.")


@dataclass(frozen=True)
class NoToolItem:
    request: str
    answer: str
    category: str  # "explain a concept" | "write a snippet" | "general question" | "chit-chat"


def no_tool_items(n: int, seed: int, split: Split) -> list[NoToolItem]:
    """`n` distinct requests that need no tool, with answers; deterministic in (n, seed, split)."""
    rng = rng_for(seed, "no_tool", split)
    items: list[NoToolItem] = []
    seen: set[str] = set()
    attempts = 0
    while len(items) < n and attempts < n * 50:
        attempts += 1
        item = _draw(rng, split)
        key = item.request.lower()
        if key not in seen:
            seen.add(key)
            items.append(item)
    return items


def no_tool_requests(n: int, seed: int, held_out: bool) -> list[str]:
    """Labelled requests that need no tool; the held-out ones share no topic or phrasing
    with the train ones."""
    split: Split = "held_out" if held_out else "train"
    return [item.request for item in no_tool_items(n, seed, split)]


def _draw(rng: random.Random, split: Split) -> NoToolItem:
    roll = rng.random()
    if roll < 0.4:
        topic, answer = rng.choice(partition(CONCEPTS, "concepts")[split])
        template = rng.choice(template_split(_CONCEPT_TEMPLATES)[split])
        text = phrase(rng, template, {"topic": topic}, split=split, ask=False).text
        return NoToolItem(text, answer, "explain a concept")
    if roll < 0.65:
        task, language, answer = rng.choice(partition(SNIPPETS, "snippets")[split])
        template = rng.choice(template_split(_SNIPPET_TEMPLATES)[split])
        values = {"task": task, "language": language}
        text = phrase(rng, template, values, split=split, ask=False).text
        return NoToolItem(text, answer, "write a snippet")
    if roll < 0.85:
        question, answer = rng.choice(partition(GENERAL_QUESTIONS, "general_questions")[split])
        template = rng.choice(template_split(_GENERAL_TEMPLATES)[split])
        text = phrase(rng, template, {"question": question}, split=split, ask=True).text
        return NoToolItem(text, answer, "general question")
    message, answer = rng.choice(partition(CHIT_CHAT, "chit_chat")[split])
    template = rng.choice(template_split(_CHAT_TEMPLATES)[split])
    text = template.format(question=message)
    return NoToolItem(
        text[0].upper() + text[1:] if rng.random() < 0.5 else text, answer, "chit-chat"
    )
