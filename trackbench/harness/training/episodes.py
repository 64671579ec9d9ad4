"""Per-episode statistics: success rate = fraction of EPISODES that succeeded, never a step count."""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from trackbench.harness.env import Episodes


# What an episode started from (Episodes.start, [k] long): the task's own reset or one of its start
# curricula (harness/starts.py). Here, not there, so that reading metrics needs no torch.
START_KINDS = ("standard", "pregrasp", "grasped")
STANDARD, PREGRASP, GRASPED = range(len(START_KINDS))

# What every episode reports as a rate besides the task's events (success_rate, time_out_rate).
OUTCOMES = ("success", "time_out")


def event_problems(events: tuple[str, ...]) -> list[str]:
    """Why a task's declared events cannot each be counted as an ``<event>_rate`` column: a name
    twice, a name that is not an identifier, or an outcome's name. Empty if they can."""
    problems = []
    if len(set(events)) != len(events):
        problems.append(f"its events {list(events)} name one event twice")
    odd = [name for name in events if not (isinstance(name, str) and name.isidentifier())]
    if odd:
        problems.append(f"event names must be identifiers (they become <event>_rate columns), "
                        f"not {', '.join(map(repr, odd))}")
    taken = [name for name in events if name in OUTCOMES]
    if taken:
        problems.append(f"{', '.join(map(repr, taken))} is an episode outcome every task reports, "
                        f"not an event of its own")
    return problems


class EpisodeStats:
    """Finished episodes, optionally only the last ``window``; means over them by name."""

    def __init__(self, window: int | None = None):
        self.records: deque[dict[str, float]] = deque(maxlen=window)
        self.total = 0  # episodes ever added, window or not

    def add(self, episodes: "Episodes | None") -> None:
        if episodes is None or len(episodes) == 0:
            return
        columns = {
            "success": episodes.success.float(),
            "return": episodes.returns.float(),
            "length": episodes.lengths.float(),
            "time_out": episodes.time_out.float(),
            **{f"flag/{name}": flag.float() for name, flag in episodes.flags.items()},
            **{f"term/{name}": value.float() for name, value in episodes.terms.items()},
        }
        if episodes.start is not None:
            columns["start"] = episodes.start
        values = {name: column.tolist() for name, column in columns.items()}
        for i in range(len(episodes)):
            self.records.append({name: column[i] for name, column in values.items()})
        self.total += len(episodes)

    def __len__(self) -> int:
        return len(self.records)

    def state_dict(self) -> dict:
        return {"records": list(self.records), "total": self.total}

    def load_state_dict(self, state: dict) -> None:
        self.records.clear()
        self.records.extend(state["records"])
        self.total = int(state["total"])

    def mean(self, name: str) -> float | None:
        values = [record[name] for record in self.records if name in record]
        return sum(values) / len(values) if values else None

    def summary(self) -> dict[str, float | int | None]:
        """success_rate, episode_return, episode_length, <flag>_rate per task flag and
        term/<name> (mean per-episode sum) per reward term; None where no episode ended yet.
        When a start curriculum began some of the window's episodes, also, per start kind that
        did (standard, pregrasp, grasped): <kind>/episodes, <kind>/success_rate and
        <kind>/<flag>_rate, so that the task's own starts can be told from the easier ones."""
        names = sorted({name for record in self.records for name in record})
        summary: dict[str, float | int | None] = {
            "episodes": len(self.records),
            "success_rate": self.mean("success"),
            "episode_return": self.mean("return"),
            "episode_length": self.mean("length"),
            "time_out_rate": self.mean("time_out"),
        }
        for name in names:
            if name.startswith("flag/"):
                summary[f"{name[5:]}_rate"] = self.mean(name)
        for name in names:
            if name.startswith("term/"):
                summary[name] = self.mean(name)
        return summary | self._by_start(names)

    def _by_start(self, names: list[str]) -> dict[str, float | int | None]:
        kinds = {int(record["start"]) for record in self.records if "start" in record}
        if not kinds - {STANDARD}:
            return {}
        rates = ["success"] + [name for name in names if name.startswith("flag/")]
        split: dict[str, float | int | None] = {}
        for kind in sorted(kinds):
            records = [record for record in self.records if record.get("start") == kind]
            label = START_KINDS[kind]
            split[f"{label}/episodes"] = len(records)
            for name in rates:
                values = [record[name] for record in records if name in record]
                rate = name[5:] if name.startswith("flag/") else name
                split[f"{label}/{rate}_rate"] = sum(values) / len(values) if values else None
        return split
