"""Does a request need a tool? Keywords and patterns first, retrieval scores second.

The seed's detector looked for keywords; this one weighs three kinds of
evidence and says which it saw:
- an action on the workspace (read, list, run, search, create, delete ...);
- an object only a tool can reach: a file name or path, a glob, a URL, a
  shell command, "the repo", "the terminal";
- the opposite: a question about concepts ("what is", "explain", "why") or a
  request for code to be written inline, with no object in the workspace.
When the words are ambiguous, the similarity of the nearest indexed example
decides (that search is needed for the examples anyway). The weights were
fitted on generated requests kept for fitting and are measured on a separate
held-out evaluation set in bench/detection.py (docs/benchmarks.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_ACTIONS = (
    r"read|open|show|view|display|print|cat|see|list|ls|find|search|grep|look\s+(?:for|up|at|in"
    r"|through)|locate|run|execute|exec|launch|start|install|build|compile|test|lint|format|create"
    r"|make|write|add|save|put|edit|change|update|modify|replace|rename|move|delete|remove|rm|fetch"
    r"|download|get|browse|check|diff|commit|stage|push|pull|fix|refactor|insert|append|scan|inspect"
    r"|load|clone|deploy|tail|watch|kill|stop|restart|summari[sz]e|go\s+to|navigate|visit|query"
    r"|count|trace|debug|profile|benchmark|upgrade|bump|init|scaffold|set\s+up|setup|record|remember"
    r"|note|store|memori[sz]e|plan|track|ask|mark|extend|regex\s+search|scroll|click|close"
)
_POLITE = (
    r"(?:please\s+|pls\s+|plz\s+|kindly\s+|hey[,!]?\s+|ok(?:ay)?[,!]?\s+|now\s+|then\s+"
    r"|also\s+|quickly\s+)*"
)
_MODAL = (
    r"(?:(?:can|could|would|will)\s+(?:you|u)\s+(?:please\s+)?"
    r"|i\s+(?:need|want|would\s+like)\s+(?:you\s+)?to\s+|let'?s\s+|go\s+(?:ahead\s+and\s+)?"
    r"|help\s+me\s+|try\s+to\s+|i'?d\s+like\s+(?:you\s+)?to\s+)?"
)
ACTION_AT_START = re.compile(rf"^\W*{_POLITE}{_MODAL}{_POLITE}(?:{_ACTIONS})\b", re.IGNORECASE)
# The first word where an action would stand, for a misspelt one ("finnd",
# "serach", "scoll", "Reda through"): one letter added or dropped or two
# swapped, in a word of four letters or more.
FIRST_WORD = re.compile(rf"^\W*{_POLITE}{_MODAL}{_POLITE}([a-z]+)\b", re.IGNORECASE)
_ACTION_WORDS = tuple(
    sorted(word for word in _ACTIONS.split("|") if word.isalpha() and len(word) >= 4)
)
# A short clause before the request proper: "Quick one:", "Context: refactoring
# billing.", "Trying to fix a bug in coupon handling.", "don't guess,". The
# action then opens the next clause, and counts as opening the request.
LEAD_IN = re.compile(r"^[^.:;!?,\n]{1,60}?[.:;!?,]\s+")
_MAX_LEAD_INS = 2
ACTION_ANYWHERE = re.compile(rf"\b(?:{_ACTIONS})\b", re.IGNORECASE)

_EXTENSIONS = (
    r"py|pyi|ipynb|ts|tsx|js|jsx|mjs|cjs|json|jsonc|md|mdx|rst|txt|go|rs|java|kt|kts|scala|c|cc|cpp"
    r"|h|hpp|cs|fs|rb|php|swift|m|mm|dart|lua|pl|r|jl|ex|exs|erl|hs|clj|sql|yaml|yml|toml|ini|cfg"
    r"|conf|env|lock|xml|html|htm|css|scss|sass|less|vue|svelte|sh|bash|zsh|ps1|bat|gradle|tf|proto"
    r"|graphql|csv|tsv|log|dockerfile|mod|sum|prisma|tex|svg|png|jpg"
)
# Files known by a name with no extension ("Is there anything odd in Gemfile?"),
# capitalised as they are written on disk.
_EXTENSIONLESS_FILES = (
    r"Dockerfile|Containerfile|Makefile|GNUmakefile|Gemfile|Rakefile|Procfile|Jenkinsfile"
    r"|Vagrantfile|Pipfile|Podfile|Brewfile|Justfile|Caddyfile|Tiltfile|CODEOWNERS"
)
# A dotfile (".gitignore", "config/.env.example"): lower case, standing alone or
# ending a path; not a method (".map()") or ".NET".
_DOTFILE = r"(?:(?<=[\s`'\"(])|^)(?:[\w.~-]+/)*(?-i:\.[a-z][\w-]*(?:\.[\w-]+)*)\b(?![(\w])"
FILE_NAME = re.compile(
    rf"(?<![\w@])[\w.~/-]*\w\.(?:{_EXTENSIONS})\b|(?<![\w@.-])(?-i:{_EXTENSIONLESS_FILES})\b"
    rf"|{_DOTFILE}",
    re.IGNORECASE,
)
PATH = re.compile(r"(?:^|[\s'\"`(])(?:\.{1,2}/|~/|/)?[\w.-]+/[\w./*-]*")
URL = re.compile(r"\bhttps?://\S+|\bwww\.\S+", re.IGNORECASE)
GLOB = re.compile(r"\*\*/|\*\.\w+|\*\*")
_CLIS = (
    r"npm|npx|yarn|pnpm|pip|pip3|poetry|uv|conda|cargo|rustc|go|make|cmake|docker|kubectl|helm|git"
    r"|pytest|jest|vitest|mocha|mvn|gradle|gradlew|dotnet|rake|bundle|composer|tsc|eslint|prettier"
    r"|ruff|black|mypy|flake8|node|deno|bun|python|python3|java|javac|gcc|clang|terraform|ansible"
    r"|curl|wget|ssh|scp|rsync|tar|unzip|ls|cd|mkdir|rm|cp|mv|chmod|chown|grep|find|sed|awk|brew"
    r"|apt|apt-get|systemctl|journalctl|ps|top|htop|kill|du|df|tail|head|less|cat|echo|export"
)
# Any program in lower case followed (after at most two of its arguments) by an
# option: "celery -A app", "uvicorn app.main:app --reload".
_WITH_AN_OPTION = r"(?:^|\s)(?-i:[a-z][\w.-]*)(?:\s+[\w./:=@-]+){0,2}?\s+--?(?-i:[A-Za-z])"
# A program's name is written in lower case in a command line; capitalised
# mid-sentence it is prose ("a Python snippet", "a generator in Python again",
# "a Go snippet": every false positive of the detection bench before this).
# At the request's start a capital is only the sentence's ("Git status pls").
COMMAND = re.compile(
    rf"`[^`]+`|(?:^|\s)(?-i:{_CLIS})\s+[-\w./:=@]+|^\W*(?:{_CLIS})\s+[-\w./:=@]+"
    rf"|{_WITH_AN_OPTION}",
    re.IGNORECASE,
)
WORKSPACE = re.compile(
    r"\b(?:repo(?:sitory)?|codebase|workspace|project|folder|directory|dir|terminal|shell|console"
    r"|this\s+file|the\s+file|current\s+file|open\s+file|active\s+file|editor|notebook|cell"
    r"|diff|changes|staged|unstaged|branch|lint(?:er)?\s+errors|problems|errors\s+in|tests?\s+(?:suite"
    r"|files?)|dependencies|packages?|server|port|logs?|todos?|memory|rules?|skills?|subagents?"
    r"|extension|symbol|definitions?|the\s+web|online|docs?\s+for|ticket|issue)\b",
    re.IGNORECASE,
)
# Questions about the state of the user's own workspace, with no action word, file name
# or path for the other rules to see ("what have I modified so far?", "which files
# conflict?", "does anything still reference fetchUsers?"): git status, diff and search
# put as questions. Kept narrow: it fires on none of the generator's ~10K distinct
# no-tool requests (bench/detection.py --fit checks it on its fitting set).
_MY_CHANGE = (
    r"(?:chang(?:e|ed)|modif(?:y|ied)|edit(?:ed)?|touch(?:ed)?|stag(?:e|ed)|add(?:ed)?"
    r"|delet(?:e|ed)|remov(?:e|ed)|commit(?:ted)?|rename[d]?|break|broke)"
)
WORKSPACE_QUESTION = re.compile(
    r"\b(?:what|which\s+(?:files?|changes?))\s+(?:have|did|has)\s+(?:i|we)\s+"
    rf"(?:just\s+|already\s+)?{_MY_CHANGE}\b"
    r"|\bwhich\s+files?\s+(?:have\s+|has\s+|did\s+)?(?:changed?|modified|conflict(?:s|ed)?"
    r"|differ|(?:are|is)\s+(?:modified|staged|changed|dirty|untracked|conflicting|unstaged))\b"
    r"|\bwhat(?:'s|\s+is|\s+are)\s+(?:staged|modified|uncommitted|untracked|unstaged)\b"
    r"|\b(?:does|do)\s+anything\s+(?:still\s+|else\s+)?(?:reference|use|call|import)\b",
    re.IGNORECASE,
)
QUESTION = re.compile(
    r"^\W*(?:what(?:'s|\s+is|\s+are|\s+does|\s+do)|whats|why|how\s+(?:does|do|is|are|can|should|would)"
    r"|explain|describe|define|compare|tell\s+me\s+(?:about|what|why|how)|what\s+(?:would|should)"
    r"|when\s+should|which\s+is|is\s+(?:it|there|this)|are\s+there|difference\s+between|can\s+you\s+"
    r"explain|do\s+you\s+know|teach\s+me|give\s+me\s+(?:an?\s+)?(?:example|overview|summary|idea)"
    r"|thanks|thank\s+you|hi|hello|hey\s+there|good\s+(?:morning|evening))\b",
    re.IGNORECASE,
)
INLINE_CODE = re.compile(
    r"\b(?:write|give\s+me|show\s+me|generate|implement|make)\s+(?:me\s+)?(?:an?\s+|the\s+|some\s+)?"
    r"(?:\w+\s+){0,3}(?:function|method|class|snippet|regex|regular\s+expression|one-liner|algorithm"
    r"|example|query|type|interface|struct|enum|lambda|decorator|hook|component)\b"
    r"(?:\s+(?:that|to|which|for|in)\b)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ToolNeed:
    """The detector's verdict and why."""

    needs_tool: bool
    score: float  # 0..1, the combined evidence
    rule_score: float
    retrieval_score: float | None  # the nearest example's similarity, when consulted
    reasons: tuple[str, ...] = field(default_factory=tuple)


@dataclass(frozen=True)
class RuleFeatures:
    """Which patterns a request matched; `rule_score` weighs them."""

    action: str | None  # "start" (the request opens with one), "anywhere", or None
    objects: tuple[str, ...]  # file, path, url, glob, command: what a tool can reach
    workspace_word: bool
    workspace_question: bool
    question: bool
    inline_code: bool


@dataclass(frozen=True)
class DetectorWeights:
    """Decision weights (fitted: bench/detection.py); the defaults are the fitted ones.

    Fitted by `bench/detection.py --fit --fit-rules` on requests made for fitting
    only (the generator's held-out tool and no-tool requests drawn with another seed,
    none of them in the evaluation set, 30% needing a tool), against the indexed
    examples of the four built-in ecosystems: the largest F1 at a 30% tool share with
    at most 5% of the no-tool requests taken for tool requests. The evaluation set's
    before/after figures are in docs/benchmarks.md. Refit when the rules, the
    embedder or the example sets change.
    """

    action_at_start: float = 0.45
    action_anywhere: float = 0.15
    object_in_workspace: float = 0.45
    workspace_word: float = 0.15
    workspace_question: float = 0.45
    question: float = -0.45
    inline_code: float = -0.35
    # Rule scores at or below `low` skip retrieval (clearly no tool); at or
    # above `high` need no retrieval evidence (clearly a tool).
    low: float = 0.1
    high: float = 0.75
    # Weight of the retrieval evidence in the ambiguous band, and the
    # similarity that counts as "an indexed example asks for the same thing":
    # none at or under the floor, full at or over the ceiling. Refitted after
    # program names in prose stopped counting as commands (the no-tool
    # requests the band had to keep out went with them): a file, path, glob,
    # URL or command, or an opening action, now passes on its own (0.45); an
    # action or a workspace word elsewhere (0.15-0.3) needs a similarity of
    # 0.53-0.57, above the no-tool requests' 90th percentile (0.41 on the
    # fitting set; the tool requests' median is 0.49).
    retrieval_weight: float = 0.3
    similarity_floor: float = 0.5
    similarity_ceiling: float = 0.6
    threshold: float = 0.3


def _one_edit_apart(word: str, other: str) -> bool:
    """One letter added or dropped, or two neighbours swapped.

    Not one letter changed: that makes actions of common words ("best" ->
    test, "last" -> list, "kind" -> find).
    """
    if abs(len(word) - len(other)) > 1:
        return False
    if len(word) == len(other):
        differ = [i for i, (a, b) in enumerate(zip(word, other, strict=True)) if a != b]
        return (
            len(differ) == 2
            and differ[1] == differ[0] + 1
            and word[differ[0]] == other[differ[1]]
            and word[differ[1]] == other[differ[0]]
        )
    shorter, longer = sorted((word, other), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def misspelt_action(word: str) -> str | None:
    """The action `word` is one typo away from, if any (words of four letters or more)."""
    word = word.lower()
    if len(word) < 4 or word in _ACTION_WORDS:
        return None
    return next((action for action in _ACTION_WORDS if _one_edit_apart(word, action)), None)


def _opens_with_action(text: str) -> bool:
    if ACTION_AT_START.search(text):
        return True
    first = FIRST_WORD.search(text)
    return first is not None and misspelt_action(first.group(1)) is not None


def starts_with_action(text: str) -> bool:
    """An action opens the request, or the clause after at most two short lead-ins."""
    for _ in range(_MAX_LEAD_INS + 1):
        if _opens_with_action(text):
            return True
        lead_in = LEAD_IN.match(text)
        if lead_in is None:
            return False
        text = text[lead_in.end() :]
    return False


def rule_features(query: str) -> RuleFeatures:
    """The patterns `query` matches, before any weighing."""
    text = query.strip()
    if starts_with_action(text):
        action: str | None = "start"
    elif ACTION_ANYWHERE.search(text):
        action = "anywhere"
    else:
        action = None
    objects = tuple(
        name
        for name, pattern in (
            ("file", FILE_NAME),
            ("path", PATH),
            ("url", URL),
            ("glob", GLOB),
            ("command", COMMAND),
        )
        if pattern.search(text)
    )
    return RuleFeatures(
        action=action,
        objects=objects,
        workspace_word=bool(WORKSPACE.search(text)),
        workspace_question=bool(WORKSPACE_QUESTION.search(text)),
        question=bool(QUESTION.search(text)),
        inline_code=bool(INLINE_CODE.search(text)),
    )


def rule_score(
    features: RuleFeatures, weights: DetectorWeights = DetectorWeights()
) -> tuple[float, tuple[str, ...]]:
    """The weighed features: a score in 0..1 and the reasons."""
    score = 0.0
    reasons: list[str] = []
    if features.action == "start":
        score += weights.action_at_start
        reasons.append("starts with an action")
    elif features.action == "anywhere":
        score += weights.action_anywhere
        reasons.append("names an action")
    if features.objects:
        score += weights.object_in_workspace
        reasons.append("names a " + "/".join(features.objects))
    if features.workspace_word:
        score += weights.workspace_word
        reasons.append("mentions the workspace")
    # A question about the workspace's state is not a question about a concept
    # (with the weight at 0 the rule is off: the detector before it existed).
    workspace_question = features.workspace_question and weights.workspace_question != 0
    if workspace_question:
        score += weights.workspace_question
        reasons.append("asks about the workspace's state")
    if features.question and not (features.objects or workspace_question):
        score += weights.question
        reasons.append("asks about a concept")
    if features.inline_code and not features.objects:
        score += weights.inline_code
        reasons.append("asks for code inline")
    return min(max(score, 0.0), 1.0), tuple(reasons)


def rule_evidence(
    query: str, weights: DetectorWeights = DetectorWeights()
) -> tuple[float, tuple[str, ...]]:
    """Keyword and pattern evidence alone: a score in 0..1 and the reasons."""
    return rule_score(rule_features(query), weights)


def needs_retrieval_evidence(
    rule_score: float, weights: DetectorWeights = DetectorWeights()
) -> bool:
    return weights.low < rule_score < weights.high


def decide(
    rule_score: float,
    reasons: tuple[str, ...],
    top_similarity: float | None,
    weights: DetectorWeights = DetectorWeights(),
) -> ToolNeed:
    """Combines the rule score with the nearest example's similarity, when there is one."""
    if rule_score <= weights.low:
        return ToolNeed(False, rule_score, rule_score, top_similarity, reasons)
    if rule_score >= weights.high or top_similarity is None:
        return ToolNeed(
            rule_score >= weights.threshold, rule_score, rule_score, top_similarity, reasons
        )
    span = weights.similarity_ceiling - weights.similarity_floor
    similarity_evidence = min(max((top_similarity - weights.similarity_floor) / span, 0.0), 1.0)
    combined = (
        1 - weights.retrieval_weight
    ) * rule_score + weights.retrieval_weight * similarity_evidence
    reason = f"nearest example similarity {top_similarity:.2f}"
    return ToolNeed(
        combined >= weights.threshold, combined, rule_score, top_similarity, (*reasons, reason)
    )
