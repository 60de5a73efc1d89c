"""DESIGN §5 in plain Python: the independent model the golden files and the tests check the SQL against.

No Spark and no SQL here on purpose: a rule misread in the SQL shows up as a disagreement with this
file. It works on plain dicts shaped like the raw table (DESIGN §4) and the refined/aggregated tables.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from datetime import date

PRICE_COLUMNS = ("open", "high", "low", "close")


def drop_reason(row: dict) -> str | None:
    """Why a (deduplicated) raw row is not a session, or None when it is one."""
    prices = [row[c] for c in PRICE_COLUMNS]
    if any(p is None for p in prices):
        return "missing_price"
    if any(p <= 0 for p in prices):
        return "non_positive_price"
    if any(math.isnan(p) or math.isinf(p) for p in prices):
        return "non_finite_price"
    if row["volume"] == 0 and len(set(prices)) == 1:
        return "non_session"
    return None


def classify(raw_rows: list[dict]) -> tuple[list[dict], dict[tuple[str, str | None], int]]:
    """(sessions, counts): the raw rows that are sessions, and rows per (ticker, drop reason or None).

    Not modelled: NULL tickers/dates (missing_key) and duplicates with equal ingested_at (the SQL
    then prefers the larger values); the fixtures hold neither.
    """
    latest: dict[tuple[str, date], dict] = {}
    counts: dict[tuple[str, str | None], int] = defaultdict(int)
    for row in raw_rows:
        key = (row["ticker"], row["trade_date"])
        kept = latest.get(key)
        if kept is None:
            latest[key] = row
            continue
        # the later ingested row wins; the other one is a dropped duplicate
        newer, older = (row, kept) if row["ingested_at"] > kept["ingested_at"] else (kept, row)
        latest[key] = newer
        counts[(older["ticker"], "duplicate")] += 1
    sessions = []
    for row in latest.values():
        reason = drop_reason(row)
        counts[(row["ticker"], reason)] += 1
        if reason is None:
            sessions.append(row)
    return sessions, dict(counts)


def refined(sessions: list[dict]) -> list[dict]:
    """Refined rows (features over each ticker's whole session sequence), ordered by date, ticker."""
    by_ticker: dict[str, list[dict]] = defaultdict(list)
    for s in sessions:
        by_ticker[s["ticker"]].append(s)
    rows = []
    for ticker, bars in by_ticker.items():
        bars.sort(key=lambda b: b["trade_date"])
        closes = [b["close"] for b in bars]
        for i, b in enumerate(bars):
            rows.append(
                {
                    "nome_acao": ticker,
                    "abertura": b["open"],
                    "fechamento": b["close"],
                    "max": b["high"],
                    "min": b["low"],
                    "volume_negociado": b["volume"],
                    "media_movel_7d": statistics.mean(closes[i - 6 : i + 1]) if i >= 6 else None,
                    "lag_1d": closes[i - 1] if i >= 1 else None,
                    "lag_2d": closes[i - 2] if i >= 2 else None,
                    "lag_3d": closes[i - 3] if i >= 3 else None,
                    "fechamento_ajustado": b["adj_close"],
                    "data_pregao": b["trade_date"],
                }
            )
    rows.sort(key=lambda r: (r["data_pregao"], r["nome_acao"]))
    return rows


def aggregated(refined_rows: list[dict]) -> list[dict]:
    """Monthly rows over every refined row given, ordered by ticker, month."""
    months: dict[tuple[str, date], list[dict]] = defaultdict(list)
    for r in refined_rows:
        months[(r["nome_acao"], r["data_pregao"].replace(day=1))].append(r)
    newest_month = max(r["data_pregao"] for r in refined_rows).replace(day=1)
    rows = []
    for (ticker, month), days in sorted(months.items()):
        volumes = [d["volume_negociado"] for d in days if d["volume_negociado"] is not None]
        rows.append(
            {
                "nome_acao": ticker,
                "mes_referencia": month,
                "volume_total": sum(volumes) if volumes else None,
                "preco_medio_fechamento": statistics.mean(d["fechamento"] for d in days),
                "dias_pregao": len(days),
                "mes_fechado": month != newest_month,
            }
        )
    return rows
