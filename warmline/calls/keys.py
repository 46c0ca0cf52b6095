"""Call mode's key bindings: the one source the page's JavaScript, the on-screen hints and
the keystroke benchmark all read.

Each action has one key (a `KeyboardEvent.key` value). Enter is context dependent: with
no outcome picked it dials, with an outcome picked it saves and shows the next card.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Binding:
    action: str
    key: str  # KeyboardEvent.key
    label: str  # what the key does, for the help overlay
    shown: str  # how the key is printed on a button

    def as_json(self) -> dict[str, str]:
        return {"action": self.action, "key": self.key, "label": self.label, "shown": self.shown}


BINDINGS: tuple[Binding, ...] = (
    Binding("dial", "Enter", "Dial (before an outcome is picked)", "Enter"),
    Binding("connected", "c", "Connected", "C"),
    Binding("voicemail", "v", "Left voicemail (shows the script)", "V"),
    Binding("no_answer", "n", "No answer", "N"),
    Binding("wrong_number", "w", "Wrong number", "W"),
    Binding("do_not_call", "x", "Do not call again", "X"),
    Binding("save", "Enter", "Log it and show the next card (after an outcome)", "Enter"),
    Binding("note", "t", "Type a note (Ctrl+Enter saves from the note)", "T"),
    Binding("callback_later", "1", "Callback later today", "1"),
    Binding("callback_tomorrow", "2", "Callback tomorrow", "2"),
    Binding("callback_next_week", "3", "Callback next week", "3"),
    Binding("callback_custom", "4", "Callback at a time you pick", "4"),
    Binding("callback_none", "0", "No callback", "0"),
    Binding("skip", "s", "Skip this contact for now", "S"),
    Binding("undo", "u", "Undo the last outcome (10 seconds)", "U"),
    Binding("cancel", "Escape", "Back: clear the outcome or leave the note", "Esc"),
    Binding("help", "?", "Show or hide these keys", "?"),
)

BY_ACTION = {b.action: b for b in BINDINGS}

# What a rep does for the common paths, as actions in order (one key each).
FLOWS: dict[str, tuple[str, ...]] = {
    "voicemail_next": ("voicemail", "save"),
    "no_answer_next": ("no_answer", "save"),
    "no_answer_callback_tomorrow": ("no_answer", "callback_tomorrow", "save"),
    "connected_next": ("connected", "save"),
}


def keys_for_flow(flow: str) -> list[str]:
    """The KeyboardEvent.key values a rep presses for a flow, e.g. ["v", "Enter"]."""
    return [BY_ACTION[action].key for action in FLOWS[flow]]


def keystrokes(flow: str) -> int:
    return len(keys_for_flow(flow))


def keymap_json() -> list[dict[str, str]]:
    return [b.as_json() for b in BINDINGS]
