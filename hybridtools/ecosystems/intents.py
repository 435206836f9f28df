"""What IDE users ask for, independent of any ecosystem: request templates and values.

An intent ("read a file", "run a command in the background") has a sampler
that draws its values (a path, a command...) and two lists of templates:
commands ("open {path}") that phrasing may wrap, and asks ("what's in
{path}?") used as written. Ecosystems then map an intent's values onto their
own tool and argument names (`bindings`), so one request style serves all four
IDEs, and "show lines 10-20 of a.py" means the same thing everywhere.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hybridtools.ecosystems import agent_vocabulary as agent
from hybridtools.ecosystems import shell_commands, vocabulary, web_vocabulary
from hybridtools.ecosystems.splits import Split, choose

Slots = dict[str, Any]
Sampler = Callable[[random.Random, Split], Slots]


@dataclass(frozen=True)
class Intent:
    key: str
    usage_pattern: str  # a few words, stored on each example
    commands: tuple[str, ...]
    asks: tuple[str, ...]
    sample: Sampler
    code_slots: tuple[str, ...] = ()
    # Values a template may leave unsaid, and what they are then ("append to
    # a.py:" says nothing of where, so the code goes at the end). The correct
    # call must follow from the request's words alone.
    unsaid_defaults: tuple[tuple[str, str], ...] = ()

    def slots_for(self, template: str, slots: Slots) -> Slots:
        """`slots`, where each value with a default that `template` does not show is the default."""
        unsaid = {
            key: default for key, default in self.unsaid_defaults if "{" + key + "}" not in template
        }
        return slots | unsaid if unsaid else slots


INTENTS: dict[str, Intent] = {}


def _intent(
    key: str,
    usage_pattern: str,
    commands: tuple[str, ...],
    asks: tuple[str, ...],
    sample: Sampler,
    code_slots: tuple[str, ...] = (),
    unsaid_defaults: tuple[tuple[str, str], ...] = (),
) -> None:
    INTENTS[key] = Intent(key, usage_pattern, commands, asks, sample, code_slots, unsaid_defaults)


# --- values ---------------------------------------------------------------------------


def _path(rng: random.Random, split: Split) -> Slots:
    return {"path": vocabulary.any_file_path(rng, split)}


def _source_path(rng: random.Random, split: Split) -> Slots:
    return {"path": vocabulary.source_path(rng, split)}


def _line_range(rng: random.Random, split: Split) -> Slots:
    start = rng.randint(1, 400)
    end = start + rng.choice((10, 20, 25, 30, 40, 50, 60, 80, 100))
    return {"path": vocabulary.source_path(rng, split), "start": str(start), "end": str(end)}


def _new_file(rng: random.Random, split: Split) -> Slots:
    lang = vocabulary.language(rng)
    name = vocabulary.entity(rng, split)  # the file and its code are about the same thing
    return {
        "path": vocabulary.source_path(rng, split, lang, name),
        "content": vocabulary.snippet(rng, split, lang, name),
        "comment": lang.comment,
    }


def _edit(rng: random.Random, split: Split) -> Slots:
    lang = vocabulary.language(rng)
    name = vocabulary.entity(rng, split)
    path = vocabulary.source_path(rng, split, lang, name)
    old, new, what = vocabulary.edit(rng, split, lang, name)
    return {"path": path, "old": old, "new": new, "what": what, "comment": lang.comment}


def _two_edits(rng: random.Random, split: Split) -> Slots:
    # Only languages whose part of the edit list has two different edits to offer.
    candidates = [
        lang for lang in vocabulary.LANGUAGES if len(vocabulary.edits_in(lang, split)) >= 2
    ]
    lang = rng.choice(candidates)
    name = vocabulary.entity(rng, split)
    first, second = rng.sample(vocabulary.edits_in(lang, split), 2)
    return {
        "path": vocabulary.source_path(rng, split, lang, name),
        "old": vocabulary.fill(first[0], name),
        "new": vocabulary.fill(first[1], name),
        "old2": vocabulary.fill(second[0], name),
        "new2": vocabulary.fill(second[1], name),
    }


_AT_THE_END = "at the end"


def _sketch(rng: random.Random, split: Split) -> Slots:
    slots = _new_file(rng, split)
    slots["where"] = rng.choice((_AT_THE_END, "after the imports", "at the bottom"))
    return slots


def _patch(rng: random.Random, split: Split) -> Slots:
    slots = _edit(rng, split)
    slots["patch"] = (
        f"*** Begin Patch\n*** Update File: {slots['path']}\n@@\n-{slots['old']}\n"
        f"+{slots['new']}\n*** End Patch"
    )
    return slots


def _directory(rng: random.Random, split: Split) -> Slots:
    return {"dir": vocabulary.directory(rng, split)}


def _glob(rng: random.Random, split: Split) -> Slots:
    pattern, what = vocabulary.glob_pattern(rng, split)
    return {"pattern": pattern, "what": what}


def _glob_in_dir(rng: random.Random, split: Split) -> Slots:
    return _glob(rng, split) | _directory(rng, split)


def _term(rng: random.Random, split: Split) -> Slots:
    return {"term": vocabulary.grep_term(rng, split)}


def _regex(rng: random.Random, split: Split) -> Slots:
    return {"term": vocabulary.regex_pattern(rng, split)}


def _term_in_dir(rng: random.Random, split: Split) -> Slots:
    return _term(rng, split) | _directory(rng, split)


_FILE_GLOBS = ("*.py", "*.ts", "*.tsx", "*.go", "*.rs", "*.java", "*.rb", "*.js", "*.yaml", "*.sql")


def _term_in_files(rng: random.Random, split: Split) -> Slots:
    return _term(rng, split) | {"glob": choose(rng, _FILE_GLOBS, "file_globs", split)}


def _question(rng: random.Random, split: Split) -> Slots:
    return {"question": vocabulary.semantic_question(rng, split)}


def _question_in_dir(rng: random.Random, split: Split) -> Slots:
    return _question(rng, split) | _directory(rng, split)


def _symbol(rng: random.Random, split: Split) -> Slots:
    return {"symbol": vocabulary.symbol(rng, split)}


def _command(rng: random.Random, split: Split) -> Slots:
    command = shell_commands.command(rng, split)
    return {"command": command.command, "cmd": command}


def _background_command(rng: random.Random, split: Split) -> Slots:
    slots = _command(rng, split)
    slots["background"] = True
    return slots


def _install(rng: random.Random, split: Split) -> Slots:
    manager, package, command = shell_commands.install(rng, split)
    return {"manager": manager, "package": package, "command": command.command, "cmd": command}


def _nothing(rng: random.Random, split: Split) -> Slots:
    return {}


def _web_query(rng: random.Random, split: Split) -> Slots:
    return {"query": web_vocabulary.web_query(rng, split)}


def _url(rng: random.Random, split: Split) -> Slots:
    return {"url": web_vocabulary.url(rng, split)}


def _url_question(rng: random.Random, split: Split) -> Slots:
    return _url(rng, split) | {"question": web_vocabulary.documentation_question(rng, split)}


def _rule(rng: random.Random, split: Split) -> Slots:
    name, rule, globs = agent.rule(rng, split)
    return {"name": name, "rule": rule, "globs": globs or "**/*"}


def _rule_name(rng: random.Random, split: Split) -> Slots:
    return {"name": agent.rule_name(rng, split)}


def _skill(rng: random.Random, split: Split) -> Slots:
    return {"skill": agent.skill(rng, split)}


def _memory(rng: random.Random, split: Split) -> Slots:
    title, knowledge = agent.memory(rng, split)
    return {"title": title, "knowledge": knowledge}


def _memory_id(rng: random.Random, split: Split) -> Slots:
    return {"memory_id": str(rng.randint(1000, 99999))}


def _todos(rng: random.Random, split: Split) -> Slots:
    items = agent.todo_items(rng, split, rng.randint(2, 4))
    return {"items": "; ".join(items), "item_list": items}


def _todo(rng: random.Random, split: Split) -> Slots:
    items = agent.todo_items(rng, split, 1)
    return {"item": items[0], "item_list": items}


def _new_cell(rng: random.Random, split: Split) -> Slots:
    return {
        "notebook": agent.notebook(rng, split),
        "index": str(rng.randint(0, 15)),
        "cell_id": agent.cell_id(rng),
        "code": agent.cell_code(rng, split),
    }


_CELL_EDITS = (
    ("bins=30", "bins=50"),
    ("head(20)", "head(50)"),
    ("§e_id", "§e_uuid"),
    ("annot=True", "annot=False"),
    ("dropna(subset", "fillna(0, subset"),
    ("shape", "dtypes"),
)


def _cell_change(rng: random.Random, split: Split) -> Slots:
    slots = _new_cell(rng, split)
    old, new = choose(rng, _CELL_EDITS, "cell_edits", split)
    name = vocabulary.entity(rng, split)
    return slots | {"old": vocabulary.fill(old, name), "new": vocabulary.fill(new, name)}


def _cell(rng: random.Random, split: Split) -> Slots:
    return {"notebook": agent.notebook(rng, split), "cell_id": agent.cell_id(rng)}


def _notebook(rng: random.Random, split: Split) -> Slots:
    return {"notebook": agent.notebook(rng, split)}


_NOTEBOOK_PURPOSES = (
    "loads data/§s.csv and plots the monthly totals",
    "explores the §e table",
    "trains a baseline model on the §e data",
    "compares §e conversion by week",
    "cleans the §s export and saves it as parquet",
    "charts §e latency percentiles",
)


def _notebook_purpose(rng: random.Random, split: Split) -> Slots:
    purpose = choose(rng, _NOTEBOOK_PURPOSES, "notebook_purposes", split)
    return {"purpose": vocabulary.fill(purpose, vocabulary.entity(rng, split))}


def _vscode_topic(rng: random.Random, split: Split) -> Slots:
    return {"topic": web_vocabulary.vscode_api_topic(rng, split)}


def _extension(rng: random.Random, split: Split) -> Slots:
    extension_id, name = web_vocabulary.extension(rng, split)
    return {"id": extension_id, "name": name}


def _repo_topic(rng: random.Random, split: Split) -> Slots:
    return {
        "repo": web_vocabulary.repository(rng, split),
        "topic": web_vocabulary.repository_topic(rng, split),
    }


def _memory_path(rng: random.Random, split: Split) -> Slots:
    name = vocabulary.entity(rng, split)
    return {"path": f"/memories/{name}-{rng.choice(('notes', 'decisions', 'todo', 'context'))}.md"}


def _terminal_id(rng: random.Random, split: Split) -> Slots:
    raw = f"{rng.getrandbits(128):032x}"
    return {"id": f"{raw[:8]}-{raw[8:12]}-4{raw[13:16]}-a{raw[17:20]}-{raw[20:]}"}


def _coordinate(rng: random.Random, split: Split) -> Slots:
    return {"coordinate": f"{rng.randint(20, 1200)},{rng.randint(20, 800)}"}


_TYPED_TEXTS = ("admin@example.com", "hunter2-test", "§e search", "Jane Doe", "42", "new §e")


def _typed_text(rng: random.Random, split: Split) -> Slots:
    text = choose(rng, _TYPED_TEXTS, "typed_texts", split)
    return {"text": vocabulary.fill(text, vocabulary.entity(rng, split))}


def _mcp(rng: random.Random, split: Split) -> Slots:
    server, tool, arguments = agent.mcp_call(rng, split)
    return {"server": server, "tool": tool, "arguments": arguments}


def _mcp_resource(rng: random.Random, split: Split) -> Slots:
    server, uri = agent.mcp_resource(rng, split)
    return {"server": server, "uri": uri}


def _followup(rng: random.Random, split: Split) -> Slots:
    question, _ = agent.followup(rng, split, with_options=False)
    return {"question": question}


def _followup_options(rng: random.Random, split: Split) -> Slots:
    question, options = agent.followup(rng, split, with_options=True)
    return {"question": question, "options": " / ".join(options), "option_list": list(options)}


def _completion(rng: random.Random, split: Split) -> Slots:
    return {"result": agent.completion(rng, split)}


def _plan(rng: random.Random, split: Split) -> Slots:
    return {"response": agent.plan(rng, split)}


def _progress(rng: random.Random, split: Split) -> Slots:
    return {"response": "Progress: " + agent.completion(rng, split).lower()}


def _handoff(rng: random.Random, split: Split) -> Slots:
    return {"context": agent.handoff_context(rng, split)}


def _subagents(rng: random.Random, split: Split) -> Slots:
    first = agent.subagent_task(rng, split)
    second = agent.subagent_task(rng, split)
    while second == first:
        second = agent.subagent_task(rng, split)
    return {"task1": first, "task2": second}


def _refs(rng: random.Random, split: Split) -> Slots:
    from_ref = agent.git_ref(rng, split)
    title = vocabulary.fill("Changes to §e handling", vocabulary.entity(rng, split))
    return {
        "from_ref": from_ref,
        "to_ref": "HEAD" if from_ref != "HEAD~1" else "main",
        "title": title,
    }


# --- files ------------------------------------------------------------------------------

_intent(
    "read_file",
    "read a file",
    (
        "open {path}",
        "show me {path}",
        "read {path}",
        "cat {path}",
        "print the contents of {path}",
        "pull up {path}",
        "display {path}",
        "load {path} so we can look at it",
        "let me see {path}",
        "view {path}",
        "dump {path}",
        "read the file {path}",
        "check what's in {path}",
        "bring up {path}",
        "read through {path}",
    ),
    (
        "what's in {path}?",
        "what does {path} contain?",
        "can I see the contents of {path}?",
        "I need to look at {path}",
        "{path} - what's inside?",
        "how does {path} look right now?",
        "what is written in {path}?",
        "I want to read {path}",
        "could I get the source of {path}?",
        "is there anything odd in {path}?",
    ),
    _path,
    ("path",),
)
_intent(
    "read_range",
    "read part of a file",
    (
        "show lines {start}-{end} of {path}",
        "read {path} from line {start} to {end}",
        "open {path} at lines {start} through {end}",
        "print lines {start} to {end} in {path}",
        "view {path}, lines {start}-{end}",
        "read lines {start}-{end} in {path}",
        "show {path} between lines {start} and {end}",
        "dump lines {start} to {end} of {path}",
    ),
    (
        "what's on lines {start}-{end} of {path}?",
        "what happens between line {start} and {end} in {path}?",
        "I only need lines {start} to {end} of {path}",
        "can I see {path} lines {start}-{end}?",
        "lines {start} to {end} of {path}?",
    ),
    _line_range,
    ("path",),
)
_intent(
    "read_current_file",
    "read the open file",
    (
        "read the file I have open",
        "show me the current file",
        "look at my open file",
        "read the active editor",
        "check the file I'm looking at",
        "read what's open in my editor",
        "grab the contents of this file",
        "read the current buffer",
    ),
    (
        "what's in the file I'm editing?",
        "can you see the file I have open?",
        "what does my current file do?",
        "does the open file look right to you?",
        "what's in my editor right now?",
    ),
    _nothing,
)
_intent(
    "create_file",
    "create a file",
    (
        "create {path} with:\n{content}",
        "make a new file {path} containing:\n{content}",
        "add a file at {path} with this content:\n{content}",
        "create a new file called {path}:\n{content}",
        "write a new file {path} with the following:\n{content}",
        "scaffold {path} with:\n{content}",
        "new file {path}:\n{content}",
        "add {path} containing:\n{content}",
    ),
    (
        "I need a new file {path} with:\n{content}",
        "can we add {path}? contents:\n{content}",
        "there should be a file {path} with:\n{content}",
        "let's start {path} like this:\n{content}",
        "{path} doesn't exist yet, it should contain:\n{content}",
    ),
    _new_file,
    ("path",),
)
_intent(
    "overwrite_file",
    "overwrite a file",
    (
        "replace the contents of {path} with:\n{content}",
        "overwrite {path} with:\n{content}",
        "rewrite {path} to be:\n{content}",
        "save this over {path}:\n{content}",
        "make {path} exactly this:\n{content}",
    ),
    (
        "{path} should contain only this:\n{content}",
        "can you replace everything in {path} with:\n{content}",
        "I want {path} to be just:\n{content}",
    ),
    _new_file,
    ("path",),
)
_intent(
    "replace_text",
    "edit a file",
    (
        "in {path}, replace {old} with {new}",
        "change {old} to {new} in {path}",
        "swap {old} for {new} in {path}",
        "edit {path}: {old} -> {new}",
        "update {path} so {old} becomes {new}",
        "in {path} change {old} into {new}",
        "replace {old} by {new} in {path}",
        "fix {path}: use {new} instead of {old}",
    ),
    (
        "can {old} in {path} be {new} instead?",
        "{path} should say {new} instead of {old}",
        "I want {new} rather than {old} in {path}",
        "could {old} become {new} in {path}?",
        "in {path} I'd rather have {new} than {old}",
    ),
    _edit,
    ("path", "old", "new"),
)
_intent(
    "replace_all",
    "edit every occurrence",
    (
        "replace every {old} with {new} in {path}",
        "change all occurrences of {old} to {new} in {path}",
        "in {path}, replace all {old} with {new}",
        "swap every {old} for {new} across {path}",
        "globally replace {old} with {new} in {path}",
    ),
    ("can every {old} in {path} become {new}?", "all the {old} in {path} should be {new}"),
    _edit,
    ("path", "old", "new"),
)
_intent(
    "multi_replace",
    "make several edits",
    (
        "in {path}, replace {old} with {new} and {old2} with {new2}",
        "edit {path}: {old} -> {new}, {old2} -> {new2}",
        "change {old} to {new} and {old2} to {new2} in {path}",
        "two edits in {path}: {old} becomes {new}, {old2} becomes {new2}",
        "update {path}: swap {old} for {new}, then {old2} for {new2}",
    ),
    (
        "can you make {old} into {new} and {old2} into {new2} in {path}?",
        "{path} needs {new} instead of {old} and {new2} instead of {old2}",
    ),
    _two_edits,
    ("path", "old", "new", "old2", "new2"),
)
_intent(
    "edit_sketch",
    "add code to a file",
    (
        "add this to {path} {where}:\n{content}",
        "append to {path}:\n{content}",
        "insert this into {path} {where}:\n{content}",
        "put this code in {path} {where}:\n{content}",
        "extend {path} with:\n{content}",
        "add the following to {path}:\n{content}",
    ),
    (
        "can you add this to {path}?\n{content}",
        "{path} also needs this {where}:\n{content}",
        "I'd like this in {path} {where}:\n{content}",
    ),
    _sketch,
    ("path",),
    unsaid_defaults=(("where", _AT_THE_END),),
)
_intent(
    "apply_patch",
    "apply a patch",
    (
        "apply this patch:\n{patch}",
        "apply the following patch:\n{patch}",
        "patch the code with:\n{patch}",
        "run this patch:\n{patch}",
        "use this diff:\n{patch}",
    ),
    ("can you apply this?\n{patch}", "here's a patch, please apply it:\n{patch}"),
    _patch,
)
_intent(
    "delete_file",
    "delete a file",
    (
        "delete {path}",
        "remove {path}",
        "get rid of {path}",
        "trash {path}",
        "delete the file {path}",
        "drop {path} from the repo",
        "remove the file {path}",
    ),
    (
        "{path} is unused, can you delete it?",
        "we don't need {path} anymore",
        "can {path} go away?",
        "could you delete {path}?",
    ),
    _path,
    ("path",),
)
_intent(
    "create_directory",
    "create a folder",
    (
        "create the folder {dir}",
        "mkdir {dir}",
        "make a directory {dir}",
        "add a new folder {dir}",
        "create directory {dir}",
        "set up an empty {dir} folder",
    ),
    ("can we have a {dir} folder?", "I need a {dir} directory", "could you create {dir}?"),
    _directory,
    ("dir",),
)
_intent(
    "list_dir",
    "list a folder",
    (
        "list {dir}",
        "ls {dir}",
        "show the files in {dir}",
        "list the contents of {dir}",
        "show me the folder {dir}",
        "list everything in {dir}",
        "browse {dir}",
        "show what's in the {dir} directory",
    ),
    (
        "what files are in {dir}?",
        "what's inside {dir}?",
        "which files live in {dir}?",
        "is there anything in {dir}?",
        "how is {dir} organised?",
    ),
    _directory,
    ("dir",),
)
_intent(
    "list_dir_recursive",
    "list a folder recursively",
    (
        "list {dir} recursively",
        "show the whole tree under {dir}",
        "recursively list {dir}",
        "list every file under {dir}, including subfolders",
        "ls -R {dir}",
        "walk {dir} and list all files",
    ),
    (
        "what files are anywhere under {dir}?",
        "what's the full tree of {dir}?",
        "what's in {dir} and all its subfolders?",
    ),
    _directory,
    ("dir",),
)
_intent(
    "project_structure",
    "see the project layout",
    (
        "show the project structure",
        "give me the file tree of the workspace",
        "print the repo layout",
        "show the folder structure",
        "outline the workspace files",
        "map out the project",
    ),
    (
        "how is this project laid out?",
        "what does the folder structure look like?",
        "what's the layout of this repo?",
    ),
    _nothing,
)

# --- search -------------------------------------------------------------------------------

_intent(
    "glob",
    "find files by name",
    (
        "find files matching {pattern}",
        "glob {pattern}",
        "search for files named {pattern}",
        "list all files that match {pattern}",
        "locate {pattern}",
        "find every file like {pattern}",
        "look for files matching {pattern}",
        "search the workspace for {pattern}",
    ),
    (
        "which files match {pattern}?",
        "where are the {pattern} files?",
        "are there any files matching {pattern}?",
        "do we have files matching {pattern}?",
        "how many files match {pattern}?",
    ),
    _glob,
    ("pattern",),
)
_intent(
    "glob_in_dir",
    "find files by name in a folder",
    (
        "find {pattern} under {dir}",
        "search {dir} for files matching {pattern}",
        "glob {pattern} in {dir}",
        "list files matching {pattern} inside {dir}",
        "look in {dir} for {pattern}",
    ),
    ("which files in {dir} match {pattern}?", "are there {pattern} files in {dir}?"),
    _glob_in_dir,
    ("pattern", "dir"),
)
_intent(
    "grep",
    "search code for text",
    (
        "search the code for {term}",
        "grep for {term}",
        "find usages of {term}",
        "look for {term} in the codebase",
        "search for {term}",
        "find where {term} appears",
        "grep {term}",
        "find all occurrences of {term}",
        "search the repo for {term}",
    ),
    (
        "where do we use {term}?",
        "where is {term} in the code?",
        "which files mention {term}?",
        "is {term} used anywhere?",
        "does anything still reference {term}?",
    ),
    _term,
    ("term",),
)
_intent(
    "grep_regex",
    "search code with a regex",
    (
        "search with the regex {term}",
        "grep for the pattern {term}",
        "find lines matching {term}",
        "run a regex search for {term}",
        "regex search {term}",
        "find code matching the regex {term}",
    ),
    (
        "which lines match {term}?",
        "where does the regex {term} match?",
        "anything matching {term} in the code?",
    ),
    _regex,
    ("term",),
)
_intent(
    "grep_in_dir",
    "search a folder for text",
    (
        "search {dir} for {term}",
        "grep {term} in {dir}",
        "find {term} under {dir}",
        "look for {term} inside {dir}",
        "search for {term} in the {dir} folder",
    ),
    (
        "where is {term} used in {dir}?",
        "does {dir} mention {term}?",
        "is {term} anywhere in {dir}?",
    ),
    _term_in_dir,
    ("term", "dir"),
)
_intent(
    "grep_in_files",
    "search files of one type",
    (
        "search {glob} files for {term}",
        "grep {term} only in {glob}",
        "find {term} in {glob} files",
        "look for {term} across {glob} files",
        "search for {term}, limited to {glob}",
    ),
    ("which {glob} files contain {term}?", "is {term} in any {glob} file?"),
    _term_in_files,
    ("term", "glob"),
)
_intent(
    "semantic_search",
    "search code by meaning",
    (
        "search the codebase: {question}",
        "find out {question}",
        "look through the code and tell me {question}",
        "figure out {question}",
        "search the project to see {question}",
        "dig into the code: {question}",
    ),
    (
        "{question}?",
        "do you know {question}?",
        "I'm trying to understand {question}",
        "any idea {question}?",
        "can you find {question}?",
    ),
    _question,
)
_intent(
    "semantic_in_dir",
    "search a folder by meaning",
    (
        "in {dir}, find out {question}",
        "search {dir} to see {question}",
        "look only in {dir}: {question}",
        "check {dir} and tell me {question}",
        "within {dir}, figure out {question}",
    ),
    ("{question}? only look in {dir}", "in {dir}, {question}?"),
    _question_in_dir,
    ("dir",),
)
_intent(
    "find_symbol",
    "find a symbol",
    (
        "find the symbol {symbol}",
        "go to the definition of {symbol}",
        "look up {symbol}",
        "jump to {symbol}",
        "find where {symbol} is defined",
        "locate the declaration of {symbol}",
    ),
    ("where's {symbol} declared?", "which file defines {symbol}?", "where is {symbol} defined?"),
    _symbol,
    ("symbol",),
)
_intent(
    "list_definitions",
    "list code definitions",
    (
        "list the classes and functions in {dir}",
        "show code definitions in {dir}",
        "outline the definitions under {dir}",
        "list the top-level definitions in {dir}",
        "give me an overview of the functions in {dir}",
    ),
    ("what functions are defined in {dir}?", "which classes live in {dir}?"),
    _directory,
    ("dir",),
)
_intent(
    "find_tests",
    "find the tests for a file",
    (
        "find the tests for {path}",
        "show the test file for {path}",
        "locate tests covering {path}",
        "find the spec for {path}",
        "look up the tests of {path}",
    ),
    ("where are the tests for {path}?", "is {path} tested anywhere?", "which tests cover {path}?"),
    _source_path,
    ("path",),
)

# --- terminal ------------------------------------------------------------------------------

_intent(
    "run_command",
    "run a command",
    (
        "run {command}",
        "execute {command}",
        "run {command} in the terminal",
        "kick off {command}",
        "fire off {command}",
        "type {command} in the shell",
        "launch {command}",
        "run this: {command}",
        "go run {command} for me",
        "exec {command}",
        "do {command}",
        "run the command {command}",
    ),
    (
        "can you run {command}?",
        "what happens if we run {command}?",
        "I want to run {command}",
        "mind running {command}?",
        "try {command}",
        "what does {command} output?",
    ),
    _command,
    ("command",),
)
_intent(
    "run_background",
    "run a command in the background",
    (
        "run {command} in the background",
        "start {command} and keep it running",
        "launch {command} in the background",
        "kick off {command} without waiting",
        "run {command} and don't wait for it",
        "background {command}",
    ),
    (
        "can {command} run in the background?",
        "keep {command} running in the background while we work",
        "start {command} in the background, ok?",
    ),
    _background_command,
    ("command",),
)
_intent(
    "install_package",
    "install a package",
    (
        "install {package} with {manager}",
        "add {package} using {manager}",
        "use {manager} to install {package}",
        "add the {package} dependency via {manager}",
        "get {package} installed with {manager}",
        "add {package} to the project with {manager}",
    ),
    (
        "can we add {package}? use {manager}",
        "I need {package} installed through {manager}",
        "could you pull in {package} with {manager}?",
    ),
    _install,
    ("package",),
)
_intent(
    "terminal_output",
    "read a background job's output",
    (
        "get the output of terminal {id}",
        "show what terminal {id} printed",
        "check the output of the background job {id}",
        "read the output of {id}",
        "fetch the logs of terminal run {id}",
    ),
    ("is {id} done yet? show its output", "what did {id} print?"),
    _terminal_id,
    ("id",),
)

# --- source control and problems ---------------------------------------------------------

_intent(
    "view_diff",
    "see uncommitted changes",
    (
        "show me the diff",
        "show my uncommitted changes",
        "view the current diff",
        "show the working tree diff",
        "diff my changes",
        "list what changed since the last commit",
        "show the git diff",
        "review my local changes",
    ),
    (
        "what did I change?",
        "what's different from HEAD?",
        "can you see my pending changes?",
        "what's in my diff right now?",
        "what have I modified so far?",
    ),
    _nothing,
)
_intent(
    "view_staged",
    "see staged changes",
    (
        "show the staged changes",
        "show me what I staged",
        "list the staged diff",
        "show what's in the index",
        "diff the staged files",
    ),
    ("what's staged?", "which changes are staged for commit?", "what's in the staging area?"),
    _nothing,
)
_intent(
    "view_conflicts",
    "see merge conflicts",
    (
        "show the merge conflicts",
        "list the files with merge conflicts",
        "show me the conflicting changes",
        "find the merge conflicts",
        "show conflicts from the merge",
    ),
    ("where are the merge conflicts?", "which files conflict?"),
    _nothing,
)
_intent(
    "diagnostics",
    "see errors in a file",
    (
        "show the errors in {path}",
        "check {path} for lint errors",
        "get the diagnostics for {path}",
        "list problems in {path}",
        "show the warnings in {path}",
        "get lint results for {path}",
    ),
    (
        "are there any errors in {path}?",
        "why is {path} red in the editor?",
        "does {path} have type errors?",
        "what's wrong with {path}?",
    ),
    _source_path,
    ("path",),
)
_intent(
    "diagnostics_all",
    "see all errors",
    (
        "show all problems in the workspace",
        "list every lint error",
        "show me the problems panel",
        "get all diagnostics",
        "list all compile errors",
        "show every warning in the project",
    ),
    (
        "what errors does the project have right now?",
        "are there any compile errors?",
        "is the workspace clean of lint errors?",
    ),
    _nothing,
)
_intent(
    "test_failure",
    "see failing tests",
    (
        "look at the failing tests",
        "show me the test failures",
        "get info about the failing test",
        "pull up the test failure details",
        "check the failed tests",
    ),
    ("why are the tests failing?", "which tests failed?", "what broke in the test run?"),
    _nothing,
)
_intent(
    "search_results",
    "read the search view",
    (
        "show the search results",
        "get the results from the search view",
        "read what the search panel found",
        "list the current search hits",
        "show me the search view matches",
    ),
    ("what did my last search find?", "what's in the search panel?"),
    _nothing,
)

# --- web ----------------------------------------------------------------------------------

_intent(
    "web_search",
    "search the web",
    (
        "search the web for {query}",
        "google {query}",
        "look up {query} online",
        "do a web search for {query}",
        "search the internet for {query}",
        "search online: {query}",
        "web search {query}",
    ),
    (
        "what does the web say about {query}?",
        "can you find anything online about {query}?",
        "is there anything on the web about {query}?",
        "any results online for {query}?",
    ),
    _web_query,
)
_intent(
    "fetch_url",
    "read a web page",
    (
        "fetch {url}",
        "open {url}",
        "read {url}",
        "get the content of {url}",
        "download the page {url}",
        "load {url}",
        "grab {url}",
        "pull the page at {url}",
    ),
    ("what does {url} say?", "can you read {url} for me?", "what's on {url}?", "summarize {url}"),
    _url,
    ("url",),
)
_intent(
    "fetch_url_question",
    "look something up on a page",
    (
        "read {url} and tell me {question}",
        "check {url} for {question}",
        "fetch {url} to find out {question}",
        "open {url} and look for {question}",
        "scan {url} for {question}",
    ),
    (
        "according to {url}, {question}?",
        "what does {url} say about {question}?",
        "does {url} explain {question}?",
    ),
    _url_question,
    ("url",),
)
_intent(
    "github_repo",
    "search a GitHub repository",
    (
        "search {repo} on GitHub for {topic}",
        "look at how {repo} handles {topic}",
        "find {topic} in the {repo} repo",
        "check the {repo} source for {topic}",
        "search GitHub repo {repo} for {topic}",
    ),
    ("how does {repo} implement {topic}?", "where is {topic} in {repo}?"),
    _repo_topic,
    ("repo",),
)
_intent(
    "vscode_api",
    "look up the VS Code API",
    (
        "look up the VS Code API for {topic}",
        "find the docs for {topic} in the VS Code API",
        "show the VS Code extension API reference for {topic}",
        "search the VS Code API: {topic}",
        "get VS Code API docs on {topic}",
    ),
    ("how do I use {topic} in a VS Code extension?", "what's the VS Code API for {topic}?"),
    _vscode_topic,
    ("topic",),
)
_intent(
    "install_extension",
    "install a VS Code extension",
    (
        "install the {name} extension ({id})",
        "add the VS Code extension {id} ({name})",
        "install {id}, the {name} extension",
        "get the {name} extension, id {id}",
        "set up the {name} extension ({id})",
    ),
    ("can you install {name} ({id})?", "I need the {name} extension ({id}) installed"),
    _extension,
    ("id",),
)

# --- rules, skills, memory, todos ---------------------------------------------------------

_intent(
    "create_rule",
    "save a coding rule",
    (
        "create a rule called {name}: {rule}",
        "add a rule {name} that says {rule}",
        "save a coding rule named {name}: {rule}",
        "remember this as rule {name}: {rule}",
        "make a new rule {name}: {rule}",
    ),
    ("can we have a rule {name}? {rule}", "we need a rule {name}: {rule}"),
    _rule,
    ("name",),
)
_intent(
    "create_rule_globs",
    "save a coding rule for some files",
    (
        "create a rule {name} for {globs}: {rule}",
        "add rule {name} applying to {globs}: {rule}",
        "save a rule {name} that applies to {globs}: {rule}",
        "new rule {name}, files {globs}: {rule}",
        "make a rule {name} scoped to {globs}: {rule}",
    ),
    ("can files matching {globs} follow a rule {name}? {rule}",),
    _rule,
    ("name", "globs"),
)
_intent(
    "request_rule",
    "load a rule",
    (
        "load the {name} rule",
        "apply the {name} rule",
        "pull in the rule {name}",
        "use our {name} rule",
        "fetch rule {name}",
        "read the {name} rule",
    ),
    ("what does the {name} rule say?", "can you follow the {name} rule here?"),
    _rule_name,
    ("name",),
)
_intent(
    "read_skill",
    "load a skill",
    (
        "load the {skill} skill",
        "use the {skill} skill",
        "read the instructions for the {skill} skill",
        "open skill {skill}",
        "pull up the {skill} skill",
        "follow the {skill} skill",
    ),
    ("how does the {skill} skill work?", "can you use the {skill} skill for this?"),
    _skill,
    ("skill",),
)
_intent(
    "remember",
    "save a memory",
    (
        'remember this as "{title}": {knowledge}',
        "save a memory called {title}: {knowledge}",
        "store a memory titled {title}: {knowledge}",
        "note down under {title}: {knowledge}",
        "add a memory {title} - {knowledge}",
        "memorize ({title}): {knowledge}",
    ),
    ("can you remember this, title {title}: {knowledge}?", "keep in mind ({title}): {knowledge}"),
    _memory,
)
_intent(
    "forget_memory",
    "delete a memory",
    (
        "forget memory {memory_id}",
        "delete memory {memory_id}",
        "remove the memory with id {memory_id}",
        "drop memory {memory_id}",
        "erase memory {memory_id}",
    ),
    ("can you forget memory {memory_id}?", "memory {memory_id} is wrong, delete it"),
    _memory_id,
    ("memory_id",),
)
_intent(
    "todo_list",
    "plan a todo list",
    (
        "make a todo list: {items}",
        "create a todo list with {items}",
        "plan these tasks: {items}",
        "track these todos: {items}",
        "set up a checklist: {items}",
        "write the todos: {items}",
    ),
    ("can you keep a todo list? {items}", "let's track the work: {items}"),
    _todos,
)

# --- notebooks ----------------------------------------------------------------------------

_intent(
    "notebook_new_cell",
    "add a notebook cell",
    (
        "add a new cell at index {index} in {notebook} with {code}",
        "insert a cell {code} at position {index} of {notebook}",
        "in {notebook}, add cell {index}: {code}",
        "put {code} in a new cell {index} of {notebook}",
        "create cell {index} in {notebook} containing {code}",
    ),
    ("can {notebook} get a new cell at {index} with {code}?",),
    _new_cell,
    ("notebook", "code"),
)
_intent(
    "notebook_insert_after",
    "add a notebook cell",
    (
        "add a cell after {cell_id} in {notebook} with {code}",
        "insert {code} after cell {cell_id} of {notebook}",
        "in {notebook}, put a new cell after {cell_id}: {code}",
        "append a cell with {code} after {cell_id} in {notebook}",
        "below cell {cell_id} in {notebook}, add {code}",
    ),
    ("can you add {code} after cell {cell_id} in {notebook}?",),
    _new_cell,
    ("notebook", "code"),
)
_intent(
    "notebook_edit_cell",
    "edit a notebook cell",
    (
        "in cell {index} of {notebook}, change {old} to {new}",
        "edit cell {index} in {notebook}: {old} -> {new}",
        "replace {old} with {new} in cell {index} of {notebook}",
        "update {notebook} cell {index} so {old} becomes {new}",
        "change {old} into {new} in {notebook}, cell {index}",
    ),
    ("can cell {index} of {notebook} use {new} instead of {old}?",),
    _cell_change,
    ("notebook", "old", "new"),
)
_intent(
    "notebook_replace_cell",
    "edit a notebook cell",
    (
        "replace cell {cell_id} in {notebook} with {code}",
        "rewrite cell {cell_id} of {notebook} as {code}",
        "set cell {cell_id} in {notebook} to {code}",
        "change cell {cell_id} of {notebook} to {code}",
        "overwrite cell {cell_id} in {notebook} with {code}",
    ),
    ("can cell {cell_id} of {notebook} be just {code}?",),
    _new_cell,
    ("notebook", "code"),
)
_intent(
    "notebook_delete_cell",
    "delete a notebook cell",
    (
        "delete cell {cell_id} from {notebook}",
        "remove cell {cell_id} in {notebook}",
        "drop cell {cell_id} of {notebook}",
        "get rid of cell {cell_id} in {notebook}",
        "delete the cell {cell_id} in {notebook}",
    ),
    ("can you remove cell {cell_id} from {notebook}?",),
    _cell,
    ("notebook",),
)
_intent(
    "run_cell",
    "run a notebook cell",
    (
        "run cell {cell_id} in {notebook}",
        "execute cell {cell_id} of {notebook}",
        "run the cell {cell_id} from {notebook}",
        "re-run cell {cell_id} in {notebook}",
        "evaluate cell {cell_id} of {notebook}",
    ),
    ("what does cell {cell_id} in {notebook} output when run?",),
    _cell,
    ("notebook",),
)
_intent(
    "cell_output",
    "read a notebook cell's output",
    (
        "show the output of cell {cell_id} in {notebook}",
        "read cell {cell_id}'s output in {notebook}",
        "get the result of cell {cell_id} from {notebook}",
        "print cell {cell_id}'s output in {notebook}",
        "fetch the output of {cell_id} in {notebook}",
    ),
    ("what did cell {cell_id} in {notebook} print?",),
    _cell,
    ("notebook",),
)
_intent(
    "notebook_summary",
    "summarise a notebook",
    (
        "summarize the cells in {notebook}",
        "list the cells of {notebook}",
        "give me an overview of {notebook}",
        "outline {notebook}",
        "show the cell list of {notebook}",
    ),
    ("what cells does {notebook} have?", "what's in {notebook}?"),
    _notebook,
    ("notebook",),
)
_intent(
    "new_notebook",
    "create a notebook",
    (
        "create a notebook that {purpose}",
        "make a new Jupyter notebook that {purpose}",
        "start a notebook which {purpose}",
        "generate a notebook that {purpose}",
        "set up a notebook that {purpose}",
    ),
    ("can you make a notebook that {purpose}?", "I need a notebook that {purpose}"),
    _notebook_purpose,
)
_intent(
    "memory_uri",
    "resolve a memory file",
    (
        "resolve {path} to a full URI",
        "get the URI for the memory file {path}",
        "turn {path} into a URI",
        "resolve the memory path {path}",
        "find the full URI of {path}",
    ),
    ("what's the URI of {path}?",),
    _memory_path,
    ("path",),
)

# --- browser, MCP and the agent's own messages (Cline) -----------------------------------

_intent(
    "browser_launch",
    "open a page in the browser",
    (
        "open {url} in the browser",
        "launch the browser at {url}",
        "check {url} in a browser",
        "browse to {url}",
        "start the browser on {url}",
    ),
    ("does {url} load in the browser?", "how does {url} look in a browser?"),
    _url,
    ("url",),
)
_intent(
    "browser_click",
    "click in the browser",
    (
        "click at {coordinate}",
        "click the button at {coordinate}",
        "click {coordinate} on the page",
        "press the element at {coordinate}",
        "tap at {coordinate} in the browser",
    ),
    ("can you click at {coordinate}?",),
    _coordinate,
    ("coordinate",),
)
_intent(
    "browser_type",
    "type in the browser",
    (
        "type {text} into the focused field",
        "enter {text} in the browser",
        "type {text}",
        "fill in {text}",
        "write {text} into the input",
    ),
    ("can you type {text} in the field?",),
    _typed_text,
)
_intent(
    "browser_scroll_down",
    "scroll the page down",
    (
        "scroll down the page",
        "scroll down",
        "page down in the browser",
        "scroll further down",
        "scroll down a screen",
    ),
    ("what's further down the page?",),
    _nothing,
)
_intent(
    "browser_scroll_up",
    "scroll the page up",
    (
        "scroll up",
        "scroll back up the page",
        "page up in the browser",
        "scroll up a screen",
        "go back up the page",
    ),
    ("what was above on the page?",),
    _nothing,
)
_intent(
    "browser_close",
    "close the browser",
    (
        "close the browser",
        "shut the browser",
        "quit the browser",
        "close the browser window",
        "we're done with the browser, close it",
    ),
    ("can you close the browser now?",),
    _nothing,
)
_intent(
    "use_mcp",
    "call an MCP tool",
    (
        "use the {server} MCP server's {tool} tool with {arguments}",
        "call {tool} on the {server} server: {arguments}",
        "run MCP tool {tool} ({server}) with {arguments}",
        "invoke {tool} from the {server} server, arguments {arguments}",
        "use {server}/{tool} with {arguments}",
    ),
    ("can you run {tool} from the {server} MCP server with {arguments}?",),
    _mcp,
    ("arguments",),
)
_intent(
    "mcp_resource",
    "read an MCP resource",
    (
        "read the resource {uri} from the {server} server",
        "fetch {uri} via the {server} MCP server",
        "load {uri} from {server}",
        "open the MCP resource {uri} on {server}",
        "get {uri} through the {server} server",
    ),
    ("what's in {uri} on the {server} server?",),
    _mcp_resource,
    ("uri",),
)
_intent(
    "mcp_docs",
    "learn to build an MCP server",
    (
        "show me how to create an MCP server",
        "load the MCP server docs",
        "get the documentation for building MCP servers",
        "open the MCP docs",
        "pull up the guide to writing an MCP server",
    ),
    ("how do I build my own MCP server?", "how do MCP servers work?"),
    _nothing,
)
_intent(
    "ask_followup",
    "ask the user a question",
    (
        "ask me {question} before you start",
        "check with me first: {question}",
        "before changing anything, ask me {question}",
        "ask me this: {question}",
        "don't guess, ask me {question}",
    ),
    ("can you ask me {question} first?",),
    _followup,
)
_intent(
    "ask_followup_options",
    "ask the user a question",
    (
        "ask me {question} with the options {options}",
        "ask me {question} (options: {options})",
        "give me a choice: {question} {options}",
        "ask {question} and offer {options}",
        "let me pick: {question} options {options}",
    ),
    ("can you ask me {question}? options are {options}",),
    _followup_options,
)
_intent(
    "attempt_completion",
    "finish the task",
    (
        "that's it, wrap up with the summary: {result}",
        "finish the task and report: {result}",
        "mark this done and tell me: {result}",
        "complete the task with the result: {result}",
        "close out the task: {result}",
    ),
    ("are we done? then report: {result}",),
    _completion,
)
_intent(
    "plan_respond",
    "answer with a plan",
    (
        "respond with this plan: {response}",
        "answer in plan mode with: {response}",
        "reply with the plan: {response}",
        "give me the plan: {response}",
        "share this plan: {response}",
    ),
    ("can you reply with the plan? {response}",),
    _plan,
)
_intent(
    "act_respond",
    "send a progress update",
    (
        "send me a progress update: {response}",
        "post the progress note: {response}",
        "update me: {response}",
        "report progress: {response}",
        "give a status update: {response}",
    ),
    ("can you send a progress note? {response}",),
    _progress,
)
_intent(
    "new_task",
    "hand off to a new task",
    (
        "start a new task with this context: {context}",
        "hand off to a new task: {context}",
        "open a fresh task and carry over: {context}",
        "new task, context: {context}",
        "spin up a new task: {context}",
    ),
    ("can we continue in a new task? {context}",),
    _handoff,
)
_intent(
    "subagents",
    "run subagents in parallel",
    (
        "run subagents to {task1} and {task2}",
        "in parallel: {task1}; {task2}",
        "use two subagents: {task1}, and {task2}",
        "split this across subagents: {task1} / {task2}",
        "delegate to subagents: {task1}; {task2}",
    ),
    ("can subagents {task1} and {task2} at the same time?",),
    _subagents,
)
_intent(
    "explain_changes",
    "explain changes between refs",
    (
        "explain the changes between {from_ref} and {to_ref}, title it {title}",
        "write an explanation titled {title} of what changed from {from_ref} to {to_ref}",
        'generate an explanation "{title}" for {from_ref}..{to_ref}',
        "explain {from_ref}..{to_ref} under the title {title}",
        'summarize the diff from {from_ref} to {to_ref} as "{title}"',
    ),
    ("what changed between {from_ref} and {to_ref}? call it {title}",),
    _refs,
    ("from_ref", "to_ref"),
)
