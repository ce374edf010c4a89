"""Simplified Chinese for click's own messages (usage, help headings, usage errors).

click looks its texts up through ``gettext.gettext`` bound at import time in each module; we
rebind that lookup in click's modules to a small catalogue. Unknown texts pass through unchanged.
"""

from __future__ import annotations

import importlib

CATALOGUE = {
    "Usage:": "用法：",
    "Options": "选项",
    "Options:": "选项：",
    "Commands": "命令",
    "Arguments": "参数",
    "Show this message and exit.": "显示此帮助并退出。",
    "Show the version and exit.": "显示版本并退出。",
    "%(prog)s, version %(version)s": "%(prog)s 版本 %(version)s",
    "Error": "错误",
    "Error: {message}": "错误：{message}",
    "Error: invalid input": "错误：输入无效",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "无效的值：{message}",
    "Missing command.": "缺少命令。",
    "Missing parameter: {param_name}": "缺少参数：{param_name}",
    "Missing {param_type}": "缺少{param_type}",
    "No such option {name!r}.": "没有这个选项：{name!r}。",
    "Option {name!r} does not take a value.": "选项 {name!r} 不需要值。",
    "Did you mean {possibility}?": "是否想用 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是否想用其中之一：{possibilities}？）",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not a valid {number_type}.": "“{value}”不是有效的{number_type}。",
    "{name} {filename!r} is not readable.": "“{filename}”不可读。",
    "{name} {filename!r} is not writable.": "“{filename}”不可写。",
    "Could not open file {filename!r}: {message}": "无法打开文件“{filename}”：{message}",
    "Positional arguments": "位置参数",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "Choose from:\n\t{choices}": "可选：\n\t{choices}",
    "Try '{command} {option}' for help.": "运行“{command} {option}”查看帮助。",
    "Missing argument": "缺少参数",
    "Missing option": "缺少选项",
    "Missing parameter": "缺少参数",
    "Missing argument '{param_name}'.": "缺少参数“{param_name}”。",
    "Missing option '{param_name}'.": "缺少选项“{param_name}”。",
    "No such option: {name}": "没有这个选项：{name}",
    "No such command {name!r}.": "没有这个命令：{name!r}。",
    "No such command '{name}'.": "没有这个命令：“{name}”。",
    "Invalid value": "无效的值",
    "Invalid value for {param_hint}": "{param_hint} 的值无效",
    "Got unexpected extra argument ({args})": "多余的参数（{args}）",
    "Got unexpected extra arguments ({args})": "多余的参数（{args}）",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Option '{name}' requires an argument.": "选项“{name}”需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "{value!r} is not one of {choices}.": "“{value}”不是可选值之一：{choices}。",
    "{value!r} is not {choice}.": "“{value}”不是 {choice}。",
    "{value!r} is not a valid integer.": "“{value}”不是有效的整数。",
    "{value!r} is not in the range {range}.": "“{value}”不在范围 {range} 内。",
    "{name} {filename!r} does not exist.": "“{filename}”不存在。",
    "{name} '{filename}' does not exist.": "“{filename}”不存在。",
    "{name} {filename!r} is a directory.": "“{filename}”是文件夹，这里应为文件。",
    "{name} '{filename}' is a directory.": "“{filename}”是文件夹，这里应为文件。",
    "{name} {filename!r} is a file.": "“{filename}”是文件，这里应为文件夹。",
    "{name} '{filename}' is a file.": "“{filename}”是文件，这里应为文件夹。",
    # click names a path's kind ({name}) when the command is defined, before main() installs
    # this catalogue, so it would stay English ("File"): the messages above leave it out.
    "File": "文件",
    "Directory": "文件夹",
    "Path": "路径",
    "Aborted!": "已取消。",
    "Repeat for confirmation": "请再输入一次以确认",
    "Error: The two entered values do not match.": "错误：两次输入不一致。",
    "(default: {default})": "（默认：{default}）",
    "default: {default}": "默认：{default}",
    "required": "必填",
}


def translate(message: str) -> str:
    """Chinese for one of click's texts, or the text itself."""
    return CATALOGUE.get(message, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """Plural-aware lookup (Chinese has one form)."""
    return translate(singular if n == 1 else plural)


# click names a number type in "'abc' is not a valid {number_type}." by its class's ``name``,
# which no gettext lookup passes through.
TYPE_NAMES = {
    "IntParamType": "整数",
    "IntRange": "整数",
    "FloatParamType": "数",
    "FloatRange": "数",
}


def install() -> None:
    """Point click's message lookups at the catalogue, and name click's number types in
    Chinese."""
    types = importlib.import_module("click.types")
    for class_name, chinese in TYPE_NAMES.items():
        if hasattr(types, class_name):
            getattr(types, class_name).name = chinese
    for module_name in (
        "click.core",
        "click.exceptions",
        "click.parser",
        "click.decorators",
        "click.formatting",
        "click.types",
        "click.termui",
        "click._termui_impl",
    ):
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # a module click no longer has
            continue
        if hasattr(module, "_"):
            module._ = translate  # type: ignore[attr-defined]
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext  # type: ignore[attr-defined]
