"""MkDocs hook: links from a page to repository files outside docs/ (examples/, ARCHITECTURE.md…).

The site has no copy of those files, so such a link is shown as the file's path in the repository; a link
to a path that does not exist is a warning, which fails `mkdocs build --strict` like any broken link.
"""

import logging
import re
from pathlib import Path

log = logging.getLogger("mkdocs.hooks.links")
LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
FENCE = re.compile(r"^(```|~~~)")


def _outside(match, page_dir, docs, repo, where):
    text, target = match.group(1), match.group(2)
    if re.match(r"^[a-z][a-z0-9+.-]*:|^#|^/", target):
        return match.group(0)
    path = (page_dir / target.split("#")[0]).resolve()
    if path.is_relative_to(docs):
        return match.group(0)
    if not path.is_relative_to(repo) or not path.exists():
        log.warning("%s: link to %s, which is not in the repository", where, target)
        return match.group(0)
    shown = path.relative_to(repo).as_posix() + ("/" if path.is_dir() else "")
    return text if shown.rstrip("/") in text else f"{text}（仓库中的 `{shown}`）"


def on_page_markdown(markdown, page, config, files):
    docs = Path(config["docs_dir"]).resolve()
    repo = Path(config["config_file_path"]).resolve().parent
    page_dir = Path(page.file.abs_src_path).parent
    out, fence = [], False
    for line in markdown.split("\n"):
        if FENCE.match(line.lstrip()):
            fence = not fence
        elif not fence:
            line = LINK.sub(lambda m: _outside(m, page_dir, docs, repo, page.file.src_path), line)
        out.append(line)
    return "\n".join(out)


# A line break between two Chinese characters is a space in HTML; the Markdown is wrapped at ~120 columns.
CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"
WRAP = re.compile(f"([{CJK}])\\n([{CJK}])")
PRE = re.compile(r"(<pre\b.*?</pre>)", re.S)


def on_page_content(html, page, config, files):
    return "".join(part if part.startswith("<pre") else WRAP.sub(r"\1\2", part) for part in PRE.split(html))
