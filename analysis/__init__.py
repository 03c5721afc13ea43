"""The shared analyzer: effects, verdicts and appendix-style output for every family and study.

Python API::

    from beyond_episode.analysis import analyze, read_logs, read_tidy, write_report

    report = analyze("logs/")                 # or a tidy DataFrame, or a .csv/.parquet path
    write_report(report, "out/")
    report.result("sandbagging_b6").conclusion
"""

from .analyze import analyze, analyze_study
from .output import write_report
from .read import normalise, read_inputs, read_logs, read_tidy
from .results import Report, StudyResult, VariantResult
from .studies import StudyCatalog

__all__ = [
    "Report",
    "StudyCatalog",
    "StudyResult",
    "VariantResult",
    "analyze",
    "analyze_study",
    "normalise",
    "read_inputs",
    "read_logs",
    "read_tidy",
    "write_report",
]
