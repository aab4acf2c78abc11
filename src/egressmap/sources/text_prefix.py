"""Where a log line's own content starts: the prefixes log collectors and build tools put before it.

A line prefix is not a comment. ``#6 0.858 https://host/repodata/repomd.xml`` is BuildKit's step number and
elapsed time before a yum fetch, not a shell comment; a comment is a line whose *content* (after the prefix)
starts with ``#`` or ``//``.

Prefixes recognised, repeatedly and in any order, at the start of a line:

- BuildKit ``--progress=plain``: ``#6 0.858 `` (step number, then seconds since the step started);
- ``awslogs get GROUP STREAM`` exports: ``/aws/imagebuilder/Name 3.5.0/1 `` (a ``/``-rooted group, then the
  stream name);
- timestamps: ISO 8601 (``2023-03-20T09:28:21.314Z``, ``2023-03-20 09:28:21,314``), ``[...]``-bracketed ones
  (chef's ``[2017-07-12T09:25:25-07:00]``), and the BSD syslog/journald short form ``Mar  7 06:49:04``;
- syslog/journald ``host tag[pid]: `` after a timestamp;
- log levels: ``INFO``, ``[DEBUG]``, ``WARNING:``... and the logger forms of cloud-init
  (``- util.py[DEBUG]: ``) and the AWS CLI (``- MainThread - botocore.endpoint - DEBUG - ``);
- Kubernetes CRI ``stdout F ``; EC2 Image Builder's ``Stdout: `` / ``Stderr: ``, Vagrant's ``==> default: ``, docker compose's ``web_1  | ``.

>>> line = "#6 0.858 # https://example.com/x.tar.gz"
>>> line[content_start(line):]
'# https://example.com/x.tar.gz'
>>> line = "/aws/imagebuilder/Img 3.5.0/1 Stdout: Get:1 http://archive.ubuntu.com/ubuntu jammy InRelease"
>>> line[content_start(line):]
'Get:1 http://archive.ubuntu.com/ubuntu jammy InRelease'
"""

from __future__ import annotations

import re

_LEVEL = r"(?:TRACE|DEBUG|INFO|NOTICE|WARN|WARNING|ERROR|ERR|FATAL|CRITICAL|CRIT)"
_PREFIXES: tuple[re.Pattern[str], ...] = (
    # BuildKit plain progress: "#6 0.858 " (the time is absent on a step's header lines: "#6 [2/3] RUN ...").
    re.compile(r"#\d+ (?:\d+\.\d+ )?"),
    # ISO 8601 date and time, optionally bracketed, optionally followed by ':' (GitHub Actions, cfn-init,
    # cloud-init, chef, aws logs tail).
    re.compile(r"\[?\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:[.,]\d+)?(?:Z|[+-]\d{2}:?\d{2})?\]?:? +"),
    # BSD syslog / journald short: "Mar  7 06:49:04 " or "Dec 07 06:49:04 ".
    re.compile(r"[A-Z][a-z]{2} [ \d]?\d \d{2}:\d{2}:\d{2}(?:\.\d+)? +"),
    # syslog / journald after the time: "host tag[pid]: " or "host tag: " (a tag then a colon).
    re.compile(r"[\w.-]+ [\w./@-]+\[\d+\]: +"),
    # Log levels: "INFO ", "[DEBUG] ", "WARNING: ", "ERROR - ".
    re.compile(rf"\[?{_LEVEL}\]?(?::| -)? +"),
    # cloud-init: "- util.py[DEBUG]: ".
    re.compile(rf"- [\w.]+\[{_LEVEL}\]: +"),
    # AWS CLI --debug and Python logging with thread and logger: "- MainThread - botocore.endpoint - DEBUG - ".
    re.compile(rf"- \w+ - [\w.]+ - {_LEVEL} - +"),
    # Kubernetes CRI container logs after the time: "stdout F " (F full line, P partial).
    re.compile(r"(?:stdout|stderr) [FP] +"),
    # EC2 Image Builder component output.
    re.compile(r"(?:Stdout|Stderr): +"),
    # Vagrant provisioner output: "==> default: ".
    re.compile(r"==> [\w.-]+: +"),
    # docker compose / kubectl --prefix: "web_1  | " or "[pod/web-1/app] ".
    re.compile(r"[\w.-]+ +\| +|\[pod/[^\]\s]+\] +"),
)
# awslogs: "GROUP STREAM " at the very start, the group rooted at "/" (``/aws/...``, ``/var/log/...``).
_AWSLOGS = re.compile(r"/[\w.#/-]*/[\w.#-]+ [^\s/:][^\s:]* +")
_MAX_PREFIXES = 8
# All prefixes in one pattern: one match attempt per prefix stripped (the order above is the priority).
_ANY_PREFIX = re.compile("|".join(f"(?:{p.pattern})" for p in _PREFIXES))


def awslogs_source(origin: str, lineno: int, line: str) -> str:
    """``origin:lineno``, then the log group and stream of a ``GROUP STREAM TIME`` prefix when the line has one.

    That is what ``fetch cloudwatch`` and ``awslogs get --timestamp`` write; without the time after them two
    words could as well be a command (``/usr/bin/curl -O``), which names nothing.

    >>> awslogs_source("image.log", 7, "/aws/imagebuilder/Img 3.5.0/1 2026-11-03T09:14:21.000Z Stdout: x")
    'image.log:7 (/aws/imagebuilder/Img 3.5.0/1)'
    """
    match = _AWSLOGS.match(line) if line.startswith("/") else None
    if (
        match is None
        or "://" in match.group()
        or not re.match(r"\d{4}-\d{2}-\d{2}T\d{2}:", line[match.end() :])
    ):
        return f"{origin}:{lineno}"
    return f"{origin}:{lineno} ({' '.join(match.group().split())})"


def content_start(line: str) -> int:
    """Index in ``line`` where its content starts, after the log's own prefixes (0 when it has none)."""
    pos = len(line) - len(line.lstrip())
    if line.startswith("/", pos):
        match = _AWSLOGS.match(line, pos)
        if match is not None and "://" not in match.group():
            pos = match.end()
    for _ in range(_MAX_PREFIXES):
        match = _ANY_PREFIX.match(line, pos)
        if match is None or match.end() == pos:
            return pos
        pos = match.end()
    return pos


def content(line: str) -> str:
    """The line without the log's own prefixes and surrounding blanks."""
    return line[content_start(line) :].strip()


def is_comment(line: str) -> bool:
    """True when the line's content (after its prefixes) starts with ``#`` or ``//``.

    >>> is_comment("#6 0.858 https://mirror.example.com/repodata/repomd.xml")
    False
    >>> is_comment("2023-03-20 09:28:21,314 [INFO] # https://example.com/x")
    True
    """
    if "#" not in line and line.count("//") == line.count("://"):
        return False  # no '#', and every '//' belongs to a URL: cannot be a comment (the common case)
    return content(line).startswith(("#", "//"))
