"""What every lesson's ``check_...`` exercise function prints: one place, one wording."""
from __future__ import annotations


def report(ok: bool, good: str, bad: str) -> bool:
    """Print "Correct: ..." or "Not yet: ..." and return ``ok``."""
    print(("Correct: " + good) if ok else ("Not yet: " + bad))
    return ok


def missing(answer: object) -> bool:
    """An exercise left as ``None``: say so instead of failing."""
    if answer is None:
        print("Not yet: replace None with your answer and run the cell again.")
        return True
    return False
