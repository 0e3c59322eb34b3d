"""What `verify` found: each finding with its state, and the report printed at the end."""

from __future__ import annotations

from dataclasses import dataclass, field

PROBLEM = "problem"
REPAIRED = "repaired"
LEFT_ALONE = "left alone"


@dataclass(frozen=True)
class Finding:
    state: str  # PROBLEM, REPAIRED or LEFT_ALONE
    text: str


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    photos: int = 0
    files: int = 0  # distinct originals (photos of the same bytes share them)
    blobs: int = 0
    checksums: bool = False

    def add(self, state: str, text: str) -> None:
        self.findings.append(Finding(state, text))

    def count(self, state: str) -> int:
        return sum(1 for finding in self.findings if finding.state == state)

    @property
    def ok(self) -> bool:
        """True when nothing is wrong: every problem found was repaired."""
        return self.count(PROBLEM) == 0

    def lines(self) -> list[str]:
        checked = "checksums verified" if self.checksums else "sizes checked, no checksums"
        out = [
            f"{self.photos} photos, {self.files} originals, {self.blobs} stored files ({checked})"
        ]
        labels = {PROBLEM: "PROBLEM ", REPAIRED: "REPAIRED", LEFT_ALONE: "LEFT    "}
        out += [f"{labels[f.state]} {f.text}" for f in self.findings]
        out.append(
            f"{self.count(PROBLEM)} problems, {self.count(REPAIRED)} repaired, "
            f"{self.count(LEFT_ALONE)} left alone: " + ("all is well" if self.ok else "NOT OK")
        )
        return out
