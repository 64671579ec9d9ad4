"""Every citation of a reference note resolves inside the repository, to the section it names.

The code and tests cite facts as a note and a section (``paper-code-facts.md`` §6,
``docs/reference/anchors.md`` §4.2); the notes live in ``docs/reference/``, and each cited
section must be one of their headings (``## 6.``, ``### 4.2``, ``### C.4``).
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
REFERENCE = REPO / "docs" / "reference"
# "name.md" then, across backticks, brackets and a line break, "§ section".
CITATION = re.compile(r"([\w-]+\.md)[`'\")\s]*§\s*([A-Z](?:\.\d+)+|\d+(?:\.\d+)*)")
PATH = re.compile(r"docs/reference/\s*([\w-]+\.md)")


def cited_texts() -> list[Path]:
    return sorted([*(REPO / "trackbench").rglob("*.py"), *(REPO / "tests").rglob("*.py"),
                   *REFERENCE.glob("*.md"), REPO / "README.md", REPO / "docs" / "plugins.md"])


def citations(text: str) -> list[tuple[int, str, str]]:
    """(line, note, section) of every ``note.md § section`` in ``text``."""
    return [(text.count("\n", 0, match.start()) + 1, match.group(1), match.group(2))
            for match in CITATION.finditer(text)]


def has_section(note: Path, section: str) -> bool:
    heading = re.compile(rf"^#{{2,4}} {re.escape(section)}[.\s]", re.MULTILINE)
    return bool(heading.search(note.read_text()))


def test_every_cited_section_is_a_heading_of_a_note_in_docs_reference():
    problems, found = [], 0
    for path in cited_texts():
        text = path.read_text()
        for line, note, section in citations(text):
            found += 1
            where = f"{path.relative_to(REPO)}:{line}: {note} §{section}"
            if not (REFERENCE / note).is_file():
                problems.append(f"{where}: no docs/reference/{note}")
            elif not has_section(REFERENCE / note, section):
                problems.append(f"{where}: no such section")
        problems += [f"{path.relative_to(REPO)}: no docs/reference/{name}"
                     for name in PATH.findall(text) if not (REFERENCE / name).is_file()]
    assert found > 10, "the pattern finds no citations: it no longer matches how they are written"
    assert not problems, "\n".join(problems)


def test_the_pattern_reads_citations_as_they_are_written():
    text = ("(``docs/reference/paper-code-facts.md`` §5)\n"
            "see `anchors.md` §4.2; human-data-and-kinematics.md\n§C.4 and (§3)\n")
    assert citations(text) == [(1, "paper-code-facts.md", "5"), (2, "anchors.md", "4.2"),
                               (2, "human-data-and-kinematics.md", "C.4")]
