"""The project's one exception tree.

Every message is Simplified Chinese and meant for the user as it stands.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the core imports this module: types only, no import at run time
    from workbook.core.problems import Problem


class BranchAssessError(Exception):
    """Base of every error this project raises on purpose."""


class StandardFileError(BranchAssessError):
    """A standard data file is missing, unreadable or inconsistent."""


class BranchListError(BranchAssessError):
    """A list of branch names (command line or branches file) is unusable."""


class WorkbookReadError(BranchAssessError):
    """A file is not a workbook this tool can read."""


class PackageTooLargeError(WorkbookReadError):
    """A package would decompress past the tool's limits (the message says which part)."""

    def __init__(self, message: str, reason: str) -> None:
        self.reason = reason  # the message without the file's name
        super().__init__(message)


class TemplateMismatchError(BranchAssessError):
    """A workbook was made from another template or another standard."""


class InvalidInputError(BranchAssessError):
    """One or more input cells hold values the standard does not allow."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("；".join(p.message for p in problems))


class ConfigError(BranchAssessError):
    """The configuration file is malformed or misses a required setting."""


class MailError(BranchAssessError):
    """Composing or sending the summary mail failed."""


class AddinError(BranchAssessError):
    """The Excel add-in could not be built or installed."""


class OutputError(BranchAssessError):
    """An output file or folder cannot be written (the message names the path and the cause)."""


class CellValueError(BranchAssessError, ValueError):
    """One cell value is not allowed by its rule (the message says what is allowed)."""

    def __init__(self, message: str, short: str) -> None:
        self.short = short  # a few words for a cell, e.g. "输入有误：应为0或15"
        super().__init__(message)


def describe_os_error(error: OSError) -> str:
    """A short Chinese reason for an OS error (file missing, no permission, ...)."""
    import errno

    reasons = {
        errno.ENOENT: "文件或文件夹不存在",
        errno.EACCES: "没有访问权限",
        errno.EPERM: "没有访问权限",
        errno.EISDIR: "这是一个文件夹",
        errno.ENOTDIR: "路径中有一部分不是文件夹",
        errno.ENOSPC: "磁盘空间不足",
        errno.EROFS: "磁盘只读",
        errno.EEXIST: "文件已存在",
        errno.ENAMETOOLONG: "文件名太长（一个文件名最多 255 字节，一个汉字占 3 字节）",
    }
    return reasons.get(error.errno or -1, error.strerror or str(error))


class CalendarFileError(BranchAssessError):
    """A holiday list (休/班 dates for the 公示期) is malformed (the message names the line)."""


class AssessorConflictError(BranchAssessError):
    """Several assessors' results of one branch cannot be combined (duplicates, veto disagreement)."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("；".join(p.message for p in problems))


class ComparisonError(BranchAssessError):
    """Two years' results cannot be compared (a rename map or a grade that does not fit)."""


class PublicationError(BranchAssessError):
    """The 公示 options do not fit (a malformed date, a date outside the assessment's time)."""
