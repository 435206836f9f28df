"""Where a constrained generation is inside the compact JSON it writes.

One tracker, fed each accepted token's bytes by the JsonConstraint, answers
both of its readers: the string-length guard (grammar.py: is the output
inside a string, and how many characters long is it) and the copy bias
(copying.py: is it inside an argument's value, and what has that value
so far, or which key a number or boolean is being written for), and the
wrap-up (grammar.py: which keys each open object holds, to count the
required ones still to come).
"""

from __future__ import annotations

_QUOTE = 0x22
_BACKSLASH = 0x5C
_OPEN_OBJECT, _OPEN_ARRAY = ord("{"), ord("[")
_CLOSERS = (ord("}"), ord("]"))


class JsonPosition:
    def __init__(self) -> None:
        self.containers: list[int] = []  # ord("{") or ord("[") per open container
        # Per open container: the keys written so far (an object's), or None (an array's).
        self.keys: list[list[str] | None] = []
        self.expect_key = False
        self.in_string = False
        self.string_is_value = False
        self.escaped = False
        # The current string so far: its bytes as written (escapes included)
        # and its length in characters (an escape counts as one, UTF-8
        # continuation bytes as none).
        self.string = bytearray()
        self.length = 0
        # A value that is neither a string nor a container (a number, true,
        # false, null): whether one is being written, and its bytes so far.
        self.in_scalar = False
        self.scalar = bytearray()
        # The string values written in `arguments` so far (a list's items too), as written.
        self.argument_strings: list[bytes] = []
        # Those directly in `arguments`, by their key.
        self.argument_values: dict[str, bytes] = {}

    def feed(self, data: bytes) -> None:
        for byte in data:
            if self.in_string:
                if self.escaped:
                    self.escaped = False
                    self.length += 1
                elif byte == _BACKSLASH:
                    self.escaped = True
                elif byte == _QUOTE:
                    self.in_string = False
                    if self.string_is_value and self._in_argument_or_its_list():
                        self.argument_strings.append(bytes(self.string))
                        key = self.direct_argument_key()
                        if key is not None:
                            self.argument_values[key] = bytes(self.string)
                    if not self.string_is_value:
                        self.expect_key = False
                        written = self.keys[-1] if self.keys else None
                        if written is not None:
                            written.append(self.string.decode("utf-8", "replace"))
                    continue
                elif byte & 0xC0 != 0x80:
                    self.length += 1
                self.string.append(byte)
            elif byte == _QUOTE:
                self.in_scalar = False
                self.in_string = True
                self.string_is_value = not (
                    self.containers and self.containers[-1] == _OPEN_OBJECT and self.expect_key
                )
                self.string.clear()
                self.length = 0
            elif byte in (_OPEN_OBJECT, _OPEN_ARRAY):
                self.in_scalar = False
                self.containers.append(byte)
                self.keys.append([] if byte == _OPEN_OBJECT else None)
                self.expect_key = byte == _OPEN_OBJECT
            elif byte in _CLOSERS:
                self.in_scalar = False
                if self.containers:
                    self.containers.pop()
                    self.keys.pop()
                self.expect_key = False
            elif byte == ord(","):
                self.in_scalar = False
                self.expect_key = bool(self.containers) and self.containers[-1] == _OPEN_OBJECT
            elif byte == ord(":"):
                self.expect_key = False
                # Compact JSON: the value starts right after the colon.
                self.in_scalar = True
                self.scalar.clear()
            elif self.in_scalar:
                self.scalar.append(byte)

    def _in_argument_or_its_list(self) -> bool:
        depth = len(self.containers)
        return depth == 2 or (depth == 3 and self.containers[-1] == _OPEN_ARRAY)

    def in_argument_value(self) -> bool:
        """Inside a string value nested in the call's `arguments` (depth 2 or more)."""
        return self.in_string and self.string_is_value and len(self.containers) >= 2

    def direct_argument_key(self) -> str | None:
        """The argument whose value is being (or was just) written directly in
        `arguments`: not an item of a list there, nor a key of an object in it."""
        if len(self.containers) != 2 or self.containers[-1] != _OPEN_OBJECT:
            return None
        written = self.keys[-1]
        return written[-1] if written else None

    def argument_key(self) -> str | None:
        """The argument whose value is being written, directly in `arguments` or as an
        item of a list there (`"urls":["...`), if any."""
        if not (self.in_scalar or (self.in_string and self.string_is_value)):
            return None
        depth = len(self.containers)
        if depth == 2:
            written = self.keys[-1]
        elif depth == 3 and self.containers[-1] == _OPEN_ARRAY:
            written = self.keys[-2]
        else:
            return None
        return written[-1] if written else None
