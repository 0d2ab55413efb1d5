"""The results file (JSON, checked by results.schema.json) and its flat CSV."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import jsonschema

SCHEMA_ID = "netbench/v1"
SCHEMA_PATH = Path(__file__).with_name("results.schema.json")
RESULTS = "results.json"
RUNS_CSV = "runs.csv"
CSV_COLUMNS = (
    "label",
    "run_id",
    "case",
    "rep",
    "valid",
    "reasons",
    "recv_bps",
    "sent_bps",
    "lost_pct",
    "retransmits",
    "client_gross_vcpu",
    "server_gross_vcpu",
    "client_net_vcpu",
    "server_net_vcpu",
    "total_gross_vcpu",
    "total_net_vcpu",
    "vcpu_per_gbps",
    "client_softirq_vcpu",
    "server_softirq_vcpu",
)


def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(SCHEMA_PATH.read_text())
    return loaded


def validate(document: Mapping[str, Any]) -> None:
    """Raise jsonschema.ValidationError when the document does not match the schema."""
    jsonschema.validate(document, schema())


def csv_rows(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    rows = []
    for r in document["runs"]:
        c, s = r["cpu"]["client"], r["cpu"]["server"]
        rows.append(
            {
                "label": document["label"],
                "run_id": document["run_id"],
                "case": r["case"],
                "rep": r["rep"],
                "valid": r["valid"],
                "reasons": "; ".join(r["reasons"]),
                "recv_bps": r["recv_bps"],
                "sent_bps": r["sent_bps"],
                "lost_pct": "" if r["lost_pct"] is None else r["lost_pct"],
                "retransmits": "" if r["retransmits"] is None else r["retransmits"],
                "client_gross_vcpu": c["gross_vcpu"],
                "server_gross_vcpu": s["gross_vcpu"],
                "client_net_vcpu": c["net_vcpu"],
                "server_net_vcpu": s["net_vcpu"],
                "total_gross_vcpu": r["total_gross_vcpu"],
                "total_net_vcpu": r["total_net_vcpu"],
                "vcpu_per_gbps": "" if r["vcpu_per_gbps"] is None else r["vcpu_per_gbps"],
                "client_softirq_vcpu": c["softirq"],
                "server_softirq_vcpu": s["softirq"],
            }
        )
    return rows


def write_csv(rows: Iterable[Mapping[str, Any]], path: Path) -> None:
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=CSV_COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def write(document: Mapping[str, Any], out: Path) -> None:
    validate(document)
    out.mkdir(parents=True, exist_ok=True)
    (out / RESULTS).write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
    write_csv(csv_rows(document), out / RUNS_CSV)


def load(directory: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((directory / RESULTS).read_text())
    validate(document)
    return document
