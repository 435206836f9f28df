"""Each built-in ecosystem's tools, as intents with argument builders and weights.

A binding says: requests of intent X are answered in this ecosystem by tool T
with these arguments. The weights spread examples over tools the way IDE users
need them (reading, editing, running and searching dominate; notebook and
agent-internal tools are rare). Where an argument cannot be copied from the
request (Copilot's `explanation`, Cursor's `instructions`) it is written the
same way every time, so the model can learn the convention from examples.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hybridtools.ecosystems import agent_vocabulary
from hybridtools.ecosystems.intents import INTENTS, Slots
from hybridtools.regex_literals import regex_literal

Builder = Callable[[Slots], dict[str, Any]]
# Copilot's read_file needs a range; "read the file" asks for its start, this many lines.
WHOLE_FILE_END_LINE = 400


@dataclass(frozen=True)
class Binding:
    tool: str
    intent: str
    build: Builder
    weight: float


def _command_args(slots: Slots) -> tuple[str, bool, bool, str]:
    command = slots["cmd"]
    background = bool(slots.get("background")) or command.background
    return command.command, background, command.risky, command.purpose


def _sketch(slots: Slots) -> str:
    marker = f"{slots['comment']} ... existing code ..."
    if slots.get("where") == "after the imports":
        return f"{slots['comment']} ... existing imports ...\n\n{slots['content']}\n\n{marker}"
    return f"{marker}\n\n{slots['content']}"


def _replacement_sketch(slots: Slots, comment: str = "//") -> str:
    marker = f"{comment} ... existing code ..."
    return f"{marker}\n{slots['new']}\n{marker}"


def _search_replace(old: str, new: str) -> str:
    return f"------- SEARCH\n{old}\n=======\n{new}\n+++++++ REPLACE"


def _todos_cursor(slots: Slots) -> dict[str, Any]:
    todos = [
        {"content": item, "status": "pending", "id": agent_vocabulary.slug(item)}
        for item in slots["item_list"]
    ]
    return {"merge": False, "todos": todos}


def _todos_copilot(slots: Slots) -> dict[str, Any]:
    todos = [
        {"id": index, "title": item, "status": "not-started"}
        for index, item in enumerate(slots["item_list"], start=1)
    ]
    return {"todoList": todos}


def _continue_run(slots: Slots) -> dict[str, Any]:
    command, background, _, _ = _command_args(slots)
    return {"command": command} | ({"waitForCompletion": False} if background else {})


def _cursor_run(slots: Slots) -> dict[str, Any]:
    command, background, _, _ = _command_args(slots)
    return {"command": command, "is_background": background}


def _copilot_run(slots: Slots) -> dict[str, Any]:
    command, background, _, purpose = _command_args(slots)
    return {"command": command, "explanation": purpose, "isBackground": background}


def _cline_run(slots: Slots) -> dict[str, Any]:
    command, _, risky, _ = _command_args(slots)
    return {"command": command, "requires_approval": risky}


def _bindings(tool: str, *entries: tuple[str, Builder, float]) -> list[Binding]:
    return [Binding(tool, intent, build, weight) for intent, build, weight in entries]


def _continue() -> list[Binding]:
    run = _continue_run
    return [
        *_bindings("read_file", ("read_file", lambda s: {"filepath": s["path"]}, 14)),
        *_bindings(
            "create_new_file",
            ("create_file", lambda s: {"filepath": s["path"], "contents": s["content"]}, 6),
        ),
        *_bindings(
            "run_terminal_command",
            ("run_command", run, 10),
            ("run_background", run, 3),
            ("install_package", run, 3),
        ),
        *_bindings("file_glob_search", ("glob", lambda s: {"pattern": s["pattern"]}, 5)),
        *_bindings("view_diff", ("view_diff", lambda s: {}, 3)),
        *_bindings("read_currently_open_file", ("read_current_file", lambda s: {}, 3)),
        *_bindings(
            "ls",
            ("list_dir", lambda s: {"dirPath": s["dir"]}, 4),
            ("list_dir_recursive", lambda s: {"dirPath": s["dir"], "recursive": True}, 2),
        ),
        *_bindings(
            "create_rule_block",
            ("create_rule", lambda s: {"name": s["name"], "rule": s["rule"]}, 1),
            (
                "create_rule_globs",
                lambda s: {"name": s["name"], "rule": s["rule"], "globs": s["globs"]},
                1,
            ),
        ),
        *_bindings(
            "fetch_url_content",
            ("fetch_url", lambda s: {"url": s["url"]}, 2),
            ("fetch_url_question", lambda s: {"url": s["url"]}, 1),
        ),
        *_bindings("request_rule", ("request_rule", lambda s: {"name": s["name"]}, 1)),
        *_bindings("read_skill", ("read_skill", lambda s: {"skillName": s["skill"]}, 1)),
        *_bindings("search_web", ("web_search", lambda s: {"query": s["query"]}, 3)),
        *_bindings(
            "edit_existing_file",
            ("edit_sketch", lambda s: {"filepath": s["path"], "changes": _sketch(s)}, 4),
        ),
        *_bindings(
            "single_find_and_replace",
            (
                "replace_text",
                lambda s: {"filepath": s["path"], "old_string": s["old"], "new_string": s["new"]},
                5,
            ),
            (
                "replace_all",
                lambda s: {
                    "filepath": s["path"],
                    "old_string": s["old"],
                    "new_string": s["new"],
                    "replace_all": True,
                },
                1,
            ),
        ),
        *_bindings(
            "multi_edit",
            (
                "multi_replace",
                lambda s: {
                    "filepath": s["path"],
                    "edits": [
                        {"old_string": s["old"], "new_string": s["new"]},
                        {"old_string": s["old2"], "new_string": s["new2"]},
                    ],
                },
                2,
            ),
        ),
        *_bindings(
            "grep_search",
            ("grep", lambda s: {"query": regex_literal(s["term"])}, 6),
            ("grep_regex", lambda s: {"query": s["term"]}, 2),
        ),
    ]


def _cursor() -> list[Binding]:
    run = _cursor_run
    return [
        *_bindings(
            "codebase_search",
            (
                "semantic_search",
                lambda s: {
                    "query": s["question"],
                    "target_directories": [],
                    "explanation": f"To answer: {s['question']}",
                },
                6,
            ),
            (
                "semantic_in_dir",
                lambda s: {
                    "query": s["question"],
                    "target_directories": [s["dir"]],
                    "explanation": f"To answer: {s['question']}",
                },
                2,
            ),
        ),
        *_bindings(
            "run_terminal_cmd",
            ("run_command", run, 10),
            ("run_background", run, 3),
            ("install_package", run, 3),
        ),
        *_bindings(
            "grep",
            ("grep", lambda s: {"pattern": regex_literal(s["term"])}, 6),
            ("grep_regex", lambda s: {"pattern": s["term"]}, 2),
            ("grep_in_dir", lambda s: {"pattern": regex_literal(s["term"]), "path": s["dir"]}, 2),
            (
                "grep_in_files",
                lambda s: {"pattern": regex_literal(s["term"]), "glob": s["glob"]},
                2,
            ),
        ),
        *_bindings("delete_file", ("delete_file", lambda s: {"target_file": s["path"]}, 2)),
        *_bindings("web_search", ("web_search", lambda s: {"search_term": s["query"]}, 3)),
        *_bindings(
            "update_memory",
            (
                "remember",
                lambda s: {
                    "title": s["title"],
                    "knowledge_to_store": s["knowledge"],
                    "action": "create",
                },
                1,
            ),
            (
                "forget_memory",
                lambda s: {"action": "delete", "existing_knowledge_id": s["memory_id"]},
                0.5,
            ),
        ),
        *_bindings(
            "read_lints",
            ("diagnostics", lambda s: {"paths": [s["path"]]}, 3),
            ("diagnostics_all", lambda s: {}, 2),
        ),
        *_bindings(
            "edit_notebook",
            (
                "notebook_new_cell",
                lambda s: {
                    "target_notebook": s["notebook"],
                    "cell_idx": int(s["index"]),
                    "is_new_cell": True,
                    "cell_language": "python",
                    "old_string": "",
                    "new_string": s["code"],
                },
                1,
            ),
            (
                "notebook_edit_cell",
                lambda s: {
                    "target_notebook": s["notebook"],
                    "cell_idx": int(s["index"]),
                    "is_new_cell": False,
                    "cell_language": "python",
                    "old_string": s["old"],
                    "new_string": s["new"],
                },
                1,
            ),
        ),
        *_bindings("todo_write", ("todo_list", _todos_cursor, 2)),
        *_bindings(
            "edit_file",
            (
                "edit_sketch",
                lambda s: {
                    "target_file": s["path"],
                    "instructions": f"I am adding the given code to {s['path']}",
                    "code_edit": _sketch(s),
                },
                5,
            ),
            (
                "replace_text",
                lambda s: {
                    "target_file": s["path"],
                    "instructions": f"I am replacing {s['old']} with {s['new']}",
                    "code_edit": _replacement_sketch(s, s["comment"]),
                },
                4,
            ),
        ),
        *_bindings(
            "read_file",
            ("read_file", lambda s: {"target_file": s["path"]}, 14),
            (
                "read_range",
                lambda s: {
                    "target_file": s["path"],
                    "offset": int(s["start"]),
                    "limit": int(s["end"]) - int(s["start"]) + 1,
                },
                3,
            ),
        ),
        *_bindings("list_dir", ("list_dir", lambda s: {"target_directory": s["dir"]}, 5)),
        *_bindings(
            "glob_file_search",
            ("glob", lambda s: {"glob_pattern": s["pattern"]}, 4),
            (
                "glob_in_dir",
                lambda s: {"glob_pattern": s["pattern"], "target_directory": s["dir"]},
                2,
            ),
        ),
    ]


def _copilot() -> list[Binding]:
    run = _copilot_run
    return [
        *_bindings("semantic_search", ("semantic_search", lambda s: {"query": s["question"]}, 6)),
        *_bindings(
            "search_workspace_symbols", ("find_symbol", lambda s: {"symbolName": s["symbol"]}, 2)
        ),
        *_bindings("get_vscode_api", ("vscode_api", lambda s: {"query": s["topic"]}, 1)),
        *_bindings("file_search", ("glob", lambda s: {"query": s["pattern"]}, 4)),
        *_bindings(
            "grep_search",
            ("grep", lambda s: {"query": s["term"], "isRegexp": False}, 6),
            ("grep_regex", lambda s: {"query": s["term"], "isRegexp": True}, 2),
            (
                "grep_in_files",
                lambda s: {
                    "query": s["term"],
                    "isRegexp": False,
                    "includePattern": f"**/{s['glob']}",
                },
                2,
            ),
        ),
        *_bindings(
            "apply_patch",
            (
                "apply_patch",
                lambda s: {"input": s["patch"], "explanation": f"Apply the patch to {s['path']}"},
                2,
            ),
        ),
        *_bindings(
            "read_file",
            (
                "read_file",
                lambda s: {"filePath": s["path"], "startLine": 1, "endLine": WHOLE_FILE_END_LINE},
                12,
            ),
            (
                "read_range",
                lambda s: {
                    "filePath": s["path"],
                    "startLine": int(s["start"]),
                    "endLine": int(s["end"]),
                },
                4,
            ),
        ),
        *_bindings("list_dir", ("list_dir", lambda s: {"path": s["dir"]}, 5)),
        *_bindings(
            "get_errors",
            ("diagnostics", lambda s: {"filePaths": [s["path"]]}, 3),
            ("diagnostics_all", lambda s: {}, 2),
        ),
        *_bindings("read_project_structure", ("project_structure", lambda s: {}, 2)),
        *_bindings(
            "get_changed_files",
            ("view_diff", lambda s: {}, 3),
            ("view_staged", lambda s: {"sourceControlState": ["staged"]}, 1),
            ("view_conflicts", lambda s: {"sourceControlState": ["merge-conflicts"]}, 1),
        ),
        *_bindings("test_failure", ("test_failure", lambda s: {}, 2)),
        *_bindings(
            "install_extension",
            ("install_extension", lambda s: {"id": s["id"], "name": s["name"]}, 1),
        ),
        *_bindings(
            "create_new_jupyter_notebook", ("new_notebook", lambda s: {"query": s["purpose"]}, 1)
        ),
        *_bindings(
            "insert_edit_into_file",
            (
                "edit_sketch",
                lambda s: {
                    "explanation": f"Add the given code to {s['path']}",
                    "filePath": s["path"],
                    "code": _sketch(s),
                },
                4,
            ),
        ),
        *_bindings(
            "create_file",
            ("create_file", lambda s: {"filePath": s["path"], "content": s["content"]}, 6),
        ),
        *_bindings("create_directory", ("create_directory", lambda s: {"dirPath": s["dir"]}, 2)),
        *_bindings(
            "replace_string_in_file",
            (
                "replace_text",
                lambda s: {"filePath": s["path"], "oldString": s["old"], "newString": s["new"]},
                6,
            ),
        ),
        *_bindings(
            "multi_replace_string_in_file",
            (
                "multi_replace",
                lambda s: {
                    "explanation": f"Apply two edits to {s['path']}",
                    "replacements": [
                        {"filePath": s["path"], "oldString": s["old"], "newString": s["new"]},
                        {"filePath": s["path"], "oldString": s["old2"], "newString": s["new2"]},
                    ],
                },
                2,
            ),
        ),
        *_bindings(
            "edit_notebook_file",
            (
                "notebook_insert_after",
                lambda s: {
                    "filePath": s["notebook"],
                    "editType": "insert",
                    "cellId": s["cell_id"],
                    "language": "python",
                    "newCode": s["code"],
                },
                1,
            ),
            (
                "notebook_replace_cell",
                lambda s: {
                    "filePath": s["notebook"],
                    "editType": "edit",
                    "cellId": s["cell_id"],
                    "newCode": s["code"],
                },
                1,
            ),
            (
                "notebook_delete_cell",
                lambda s: {"filePath": s["notebook"], "editType": "delete", "cellId": s["cell_id"]},
                0.5,
            ),
        ),
        *_bindings(
            "run_notebook_cell",
            ("run_cell", lambda s: {"filePath": s["notebook"], "cellId": s["cell_id"]}, 1),
        ),
        *_bindings(
            "copilot_getNotebookSummary",
            ("notebook_summary", lambda s: {"filePath": s["notebook"]}, 1),
        ),
        *_bindings(
            "read_notebook_cell_output",
            ("cell_output", lambda s: {"filePath": s["notebook"], "cellId": s["cell_id"]}, 1),
        ),
        *_bindings(
            "fetch_webpage",
            ("fetch_url_question", lambda s: {"urls": [s["url"]], "query": s["question"]}, 2),
        ),
        *_bindings("test_search", ("find_tests", lambda s: {"filePaths": [s["path"]]}, 2)),
        *_bindings("get_search_view_results", ("search_results", lambda s: {}, 1)),
        *_bindings(
            "github_repo", ("github_repo", lambda s: {"repo": s["repo"], "query": s["topic"]}, 1)
        ),
        *_bindings("resolve_memory_file_uri", ("memory_uri", lambda s: {"path": s["path"]}, 0.5)),
        *_bindings(
            "run_in_terminal",
            ("run_command", run, 10),
            ("run_background", run, 3),
            ("install_package", run, 3),
        ),
        *_bindings("get_terminal_output", ("terminal_output", lambda s: {"id": s["id"]}, 1)),
        *_bindings("manage_todo_list", ("todo_list", _todos_copilot, 2)),
    ]


def _cline() -> list[Binding]:
    run = _cline_run
    return [
        *_bindings(
            "execute_command",
            ("run_command", run, 10),
            ("run_background", run, 3),
            ("install_package", run, 3),
        ),
        *_bindings(
            "read_file",
            ("read_file", lambda s: {"path": s["path"]}, 14),
            (
                "read_range",
                lambda s: {
                    "path": s["path"],
                    "start_line": int(s["start"]),
                    "end_line": int(s["end"]),
                },
                3,
            ),
        ),
        *_bindings(
            "write_to_file",
            ("create_file", lambda s: {"path": s["path"], "content": s["content"]}, 6),
            ("overwrite_file", lambda s: {"path": s["path"], "content": s["content"]}, 2),
        ),
        *_bindings(
            "replace_in_file",
            (
                "replace_text",
                lambda s: {"path": s["path"], "diff": _search_replace(s["old"], s["new"])},
                6,
            ),
            (
                "multi_replace",
                lambda s: {
                    "path": s["path"],
                    "diff": _search_replace(s["old"], s["new"])
                    + "\n"
                    + _search_replace(s["old2"], s["new2"]),
                },
                2,
            ),
        ),
        *_bindings(
            "search_files",
            ("grep", lambda s: {"path": ".", "regex": regex_literal(s["term"])}, 4),
            ("grep_regex", lambda s: {"path": ".", "regex": s["term"]}, 2),
            ("grep_in_dir", lambda s: {"path": s["dir"], "regex": regex_literal(s["term"])}, 2),
            (
                "grep_in_files",
                lambda s: {
                    "path": ".",
                    "regex": regex_literal(s["term"]),
                    "file_pattern": s["glob"],
                },
                2,
            ),
        ),
        *_bindings(
            "list_files",
            ("list_dir", lambda s: {"path": s["dir"]}, 4),
            ("list_dir_recursive", lambda s: {"path": s["dir"], "recursive": True}, 2),
        ),
        *_bindings(
            "list_code_definition_names", ("list_definitions", lambda s: {"path": s["dir"]}, 2)
        ),
        *_bindings(
            "browser_action",
            ("browser_launch", lambda s: {"action": "launch", "url": s["url"]}, 1),
            ("browser_click", lambda s: {"action": "click", "coordinate": s["coordinate"]}, 0.5),
            ("browser_type", lambda s: {"action": "type", "text": s["text"]}, 0.5),
            ("browser_scroll_down", lambda s: {"action": "scroll_down"}, 0.3),
            ("browser_scroll_up", lambda s: {"action": "scroll_up"}, 0.3),
            ("browser_close", lambda s: {"action": "close"}, 0.3),
        ),
        *_bindings(
            "use_mcp_tool",
            (
                "use_mcp",
                lambda s: {
                    "server_name": s["server"],
                    "tool_name": s["tool"],
                    "arguments": s["arguments"],
                },
                1,
            ),
        ),
        *_bindings(
            "access_mcp_resource",
            ("mcp_resource", lambda s: {"server_name": s["server"], "uri": s["uri"]}, 0.7),
        ),
        *_bindings("load_mcp_documentation", ("mcp_docs", lambda s: {}, 0.4)),
        *_bindings(
            "ask_followup_question",
            ("ask_followup", lambda s: {"question": s["question"]}, 0.7),
            (
                "ask_followup_options",
                lambda s: {
                    "question": s["question"],
                    "options": json.dumps(s["option_list"], ensure_ascii=False),
                },
                0.7,
            ),
        ),
        *_bindings(
            "attempt_completion", ("attempt_completion", lambda s: {"result": s["result"]}, 0.7)
        ),
        *_bindings(
            "plan_mode_respond", ("plan_respond", lambda s: {"response": s["response"]}, 0.5)
        ),
        *_bindings("act_mode_respond", ("act_respond", lambda s: {"response": s["response"]}, 0.5)),
        *_bindings("new_task", ("new_task", lambda s: {"context": s["context"]}, 0.5)),
        *_bindings(
            "web_fetch",
            ("fetch_url_question", lambda s: {"url": s["url"], "prompt": s["question"]}, 2),
        ),
        *_bindings("web_search", ("web_search", lambda s: {"query": s["query"]}, 3)),
        *_bindings("apply_patch", ("apply_patch", lambda s: {"input": s["patch"]}, 1.5)),
        *_bindings("use_skill", ("read_skill", lambda s: {"skill_name": s["skill"]}, 1)),
        *_bindings(
            "use_subagents",
            ("subagents", lambda s: {"prompt_1": s["task1"], "prompt_2": s["task2"]}, 0.7),
        ),
        *_bindings(
            "generate_explanation",
            (
                "explain_changes",
                lambda s: {"title": s["title"], "from_ref": s["from_ref"], "to_ref": s["to_ref"]},
                0.7,
            ),
        ),
    ]


BINDINGS: dict[str, list[Binding]] = {
    "continue": _continue(),
    "cursor": _cursor(),
    "copilot": _copilot(),
    "cline": _cline(),
}


def bindings_for(ecosystem: str) -> list[Binding]:
    """The hand-written bindings of a built-in ecosystem; empty for any other."""
    return BINDINGS.get(ecosystem, [])


def _check_intents() -> None:
    # A binding that names an intent nobody defined is a typo; fail at import, not mid-run.
    for ecosystem, bindings in BINDINGS.items():
        for binding in bindings:
            if binding.intent not in INTENTS:
                raise KeyError(f"{ecosystem}.{binding.tool}: unknown intent {binding.intent!r}")


_check_intents()
