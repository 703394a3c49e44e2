#!/usr/bin/python3
"""Parses .eml files with Python's standard email package (policy=strict, so MIME defects
raise) and prints one JSON object per file: the decoded headers, the text and HTML bodies,
the defects found, and the longest raw line. An independent check of paperboy's MIME."""

import email
import email.policy
import json
import sys

out = []
for path in sys.argv[1:]:
    raw = open(path, "rb").read()
    msg = email.message_from_bytes(raw, policy=email.policy.strict)
    text = msg.get_body(("plain",))
    html = msg.get_body(("html",))
    defects = [str(d) for d in msg.defects]
    for part in msg.walk():
        defects += [str(d) for d in part.defects]
    out.append({
        "file": path,
        "subject": str(msg["Subject"]),
        "from": str(msg["From"]),
        "to": str(msg["To"]),
        "message_id": str(msg["Message-ID"]),
        "list_unsubscribe": str(msg.get("List-Unsubscribe", "")),
        "list_unsubscribe_post": str(msg.get("List-Unsubscribe-Post", "")),
        "content_type": msg.get_content_type(),
        # Line ends in the decoded bodies as LF (the wire form is CRLF).
        "text": text.get_content().replace("\r\n", "\n") if text is not None else None,
        "html": html.get_content().replace("\r\n", "\n") if html is not None else None,
        "defects": defects,
        "max_line": max(len(l) for l in raw.split(b"\r\n")),
        "bare_lf": b"\n" in raw.replace(b"\r\n", b""),
        "ascii": all(b < 128 for b in raw),
    })
json.dump(out, sys.stdout)
