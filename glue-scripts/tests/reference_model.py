"""The transform rules in plain Python: the independent model the golden files and the tests check the SQL against.

One transform over every raw row ever extracted (docs/LAKE-INTEGRITY.md): answers merged per key,
sessions classified, features over each ticker's merged session sequence, months aggregated and
flagged (closed by the day the runs cover, complete from the month's first weekday).
No Spark and no SQL here on purpose: a rule misread in the SQL shows up as a disagreement with this
file. It works on plain dicts shaped like the raw table and the refined/aggregated tables.
"""

from __future__ import annotations

import calendar
import math
import statistics
from collections import defaultdict
from datetime import date, timedelta

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


VALUE_COLUMNS = ("open", "high", "low", "close", "adj_close", "volume")
# Which of two copies of one answer (same key, same ingested_at) is kept: the largest values, in
# this column order, NULLs last.
COPY_ORDER = ("close", "open", "high", "low", "adj_close", "volume")


def _copy_rank(row: dict) -> tuple:
    return tuple((row[c] is not None, row[c] if row[c] is not None else 0) for c in COPY_ORDER)


def merge(raw_rows: list[dict]) -> list[dict]:
    """One row per (ticker, trade_date) out of every raw row ever extracted, in key order.

    The copies of one answer (same key and ingested_at) are reduced to the one with the largest
    values; then each column takes its value from the latest answer in which it is not NULL.
    """
    answers: dict[tuple, dict] = {}
    for row in raw_rows:
        if row["ticker"] is None or row["trade_date"] is None:
            continue
        key = (row["ticker"], row["trade_date"], row["ingested_at"])
        if key not in answers or _copy_rank(row) > _copy_rank(answers[key]):
            answers[key] = row
    merged: dict[tuple, dict] = {}
    for (ticker, trade_date, _), row in sorted(answers.items(), key=lambda kv: kv[0][2]):  # oldest first
        into = merged.setdefault(
            (ticker, trade_date), {"ticker": ticker, "trade_date": trade_date, **dict.fromkeys(VALUE_COLUMNS)}
        )
        for column in VALUE_COLUMNS:
            if row[column] is not None:  # a later answer revises; a NULL never replaces a value
                into[column] = row[column]
    return [merged[key] for key in sorted(merged)]


def classify(
    raw_rows: list[dict], own_rows: list[dict] | None = None
) -> tuple[list[dict], dict[tuple[str, str | None], int]]:
    """(sessions, counts) of one transform over `raw_rows` (every raw row of the lake).

    sessions: the merged rows that are sessions. counts: the rows of the run's own file
    (`own_rows`, default `raw_rows`) per (ticker, drop reason or None): one per key with the
    merged key's reason, every further row of a key as "duplicate", rows without a key as
    "missing_key".
    """
    own_rows = raw_rows if own_rows is None else own_rows
    merged = {(r["ticker"], r["trade_date"]): r for r in merge(raw_rows)}
    sessions = [r for r in merged.values() if drop_reason(r) is None]
    counts: dict[tuple[str, str | None], int] = defaultdict(int)
    seen: set[tuple] = set()
    for row in own_rows:
        key = (row["ticker"], row["trade_date"])
        if None in key:
            counts[(row["ticker"], "missing_key")] += 1
        elif key in seen:
            counts[(row["ticker"], "duplicate")] += 1
        else:
            seen.add(key)
            counts[(row["ticker"], drop_reason(merged[key]))] += 1
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


def covered_through(ingestion_dates: list[date]) -> date:
    """The last trade date the lake's runs cover: a run of date D extracts sessions up to D - 1."""
    return max(ingestion_dates) - timedelta(days=1)


def first_weekday(month: date) -> date:
    """The month's first Monday-to-Friday day (holidays are not known, so not skipped)."""
    day = month
    while day.weekday() >= 5:  # Saturday, Sunday
        day += timedelta(days=1)
    return day


def first_known_days(raw_rows: list[dict]) -> dict[str, date]:
    """Per ticker, the earliest day known to be a session or a B3 holiday (Yahoo's holiday quote)."""
    first: dict[str, date] = {}
    for row in merge(raw_rows):
        if drop_reason(row) in (None, "non_session"):
            ticker, day = row["ticker"], row["trade_date"]
            first[ticker] = min(first.get(ticker, day), day)
    return first


def aggregated(refined_rows: list[dict], raw_rows: list[dict], ingestion_dates: list[date]) -> list[dict]:
    """Monthly rows over every refined row given, ordered by ticker, month.

    raw_rows: every raw row of the lake; ingestion_dates: the ingestion date of every raw file.
    mes_fechado: the month's last day is on or before covered_through(ingestion_dates).
    mes_completo: the ticker's first known day (first_known_days) is on or before the month's first
    weekday.
    """
    months: dict[tuple[str, date], list[dict]] = defaultdict(list)
    for r in refined_rows:
        months[(r["nome_acao"], r["data_pregao"].replace(day=1))].append(r)
    through = covered_through(ingestion_dates)
    first_known = first_known_days(raw_rows)
    rows = []
    for (ticker, month), days in sorted(months.items()):
        volumes = [d["volume_negociado"] for d in days if d["volume_negociado"] is not None]
        last_day = date(month.year, month.month, calendar.monthrange(month.year, month.month)[1])
        rows.append(
            {
                "nome_acao": ticker,
                "mes_referencia": month,
                "volume_total": sum(volumes) if volumes else None,
                "preco_medio_fechamento": statistics.mean(d["fechamento"] for d in days),
                "dias_pregao": len(days),
                "mes_fechado": last_day <= through,
                "mes_completo": first_known[ticker] <= first_weekday(month),
            }
        )
    return rows
