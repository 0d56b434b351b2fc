"""argparse speaking Chinese: the parser class of the `zizhu` and `zizhu-server` command lines.

School clerks and county operators read these messages, so usage lines, section titles and argparse's
own error messages are Chinese; a usage error exits with code 2, as argparse does.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Iterable
from typing import NoReturn

EXIT_USAGE = 2

_ARGPARSE_MESSAGES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"the following arguments are required: (.*)"), "缺少必需的参数：{0}"),
    (re.compile(r"one of the arguments (.*) is required"), "须指定以下参数之一：{0}"),
    (re.compile(r"argument (\S+): not allowed with argument (\S+)"), "参数 {0} 不能与 {1} 同时使用"),
    (
        re.compile(r"argument (\S+): invalid choice: '?([^'(]*)'? \(choose from (.*)\)"),
        "参数 {0} 的值“{1}”无效，可选：{2}",
    ),
    (re.compile(r"argument (\S+): invalid int value: '(.*)'"), "参数 {0} 应为整数，而不是“{1}”"),
    (re.compile(r"argument (\S+): expected one argument"), "参数 {0} 后面缺少取值"),
    (re.compile(r"unrecognized arguments: (.*)"), "无法识别的参数：{0}"),
    (re.compile(r"invalid choice: '?([^'(]*)'? \(choose from (.*)\)"), "没有“{0}”这个命令，可用的命令：{1}"),
)


def chinese_message(message: str) -> str:
    """argparse's English error ``message`` in Chinese (unchanged when it is not one we know)."""
    for pattern, template in _ARGPARSE_MESSAGES:
        match = pattern.search(message)
        if match:
            return template.format(*match.groups())
    return message


class ChineseHelpFormatter(argparse.RawDescriptionHelpFormatter):
    def add_usage(
        self,
        usage: str | None,
        actions: Iterable[argparse.Action],
        groups: Iterable[argparse._MutuallyExclusiveGroup],
        prefix: str | None = None,
    ) -> None:
        # argparse passes prefix "" when it builds a sub-command's prog: keep that one empty.
        super().add_usage(usage, actions, groups, "用法：" if prefix is None else prefix)


class ChineseArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser whose help and errors are Chinese (pass it as ``parser_class`` to subparsers)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        kwargs.setdefault("formatter_class", ChineseHelpFormatter)
        kwargs.setdefault("add_help", False)
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self._positionals.title = "位置参数"
        self._optionals.title = "选项"
        self.add_argument("-h", "--help", action="help", help="显示本帮助并退出")

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}：错误：{chinese_message(message)}\n")
