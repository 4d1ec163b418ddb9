"""The processor's point mapping in Python (see Sources/Processor/PointEncoder.swift), for the benchmark's curl
ceiling and Python consumer, so that all three write the same bytes."""
import calendar
import re

_KEY = re.compile(r"([, =])")
_RESERVED = {"device_id", "type", "unit", "priority", "value", "sequence_id"}


def _key(text):
    text = _KEY.sub(r"\\\1", text).replace("\n", "\\n").replace("\r", "\\r")
    return text + "\\" if text.endswith("\\") else text


def _float(value):
    return repr(float(value))


def _millis(text):
    # YYYY-MM-DDTHH:MM:SS(.fff)Z only: what the benchmark generates.
    seconds = calendar.timegm((int(text[0:4]), int(text[5:7]), int(text[8:10]), int(text[11:13]), int(text[14:16]), int(text[17:19])))
    fraction = text[20:-1] if text[19] == "." else ""
    return seconds * 1000 + int((fraction + "000")[:3])


def encode(entry_id, fields, data, measurement="telemetry"):
    ms, seq = (int(part) for part in entry_id.split("-"))
    tags = {"device_id": fields.get("device_id", data.get("device_id"))}
    for name in ("type", "unit"):
        if data.get(name) is not None:
            tags[name] = data[name]
    tags["priority"] = fields.get("priority", data.get("priority"))
    extra = []
    for key, value in (data.get("metadata") or {}).items():
        name = "metadata_" + key if key in _RESERVED else key
        if isinstance(value, bool):
            extra.append((name, "true" if value else "false"))
        elif isinstance(value, (int, float)):
            extra.append((name, _float(value)))
        else:
            extra.append((name, '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'))
    line = measurement.replace(",", "\\,").replace(" ", "\\ ")
    for key in sorted(k for k, v in tags.items() if v):
        line += "," + _key(key) + "=" + _key(str(tags[key]))
    line += " value=" + _float(data["value"])
    for key, value in sorted(extra):
        line += "," + _key(key) + "=" + value
    when = _millis(data.get("timestamp") or data["received_at"])
    return line + " %d" % (when * 1_000_000 + (ms % 1000) * 1000 + seq % 1000)
