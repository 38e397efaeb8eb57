"""The read cache of one app process: results of read queries, bounded by the memory they take
(not by a number of entries), least recently used first out, and invalidated per convention.

Each entry belongs to a convention (None: a read about no one convention, such as the list of
conventions) and to that convention's data version (queries.conventions.data_version). When a
newer version of a convention is seen, its older entries are dropped at once: a save in one
convention leaves the other conventions' entries where they are. Streamlit runs each session
in its own thread, so every change happens under one lock; the query itself runs outside it.
"""

import copy
import sys
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, fields, is_dataclass
from typing import Any

import pandas as pd

MB = 1024 * 1024
Key = tuple[int | None, int, Hashable]  # convention, its data version, the read and its arguments


def size_of(value: Any) -> int:
    """Roughly the bytes `value` holds: a DataFrame's deep memory use, containers summed."""
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(deep=True, index=True).sum())
    if isinstance(value, pd.Series):
        return int(value.memory_usage(deep=True, index=True))
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(size_of(k) + size_of(v) for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return sys.getsizeof(value) + sum(size_of(item) for item in value)
    if is_dataclass(value) and not isinstance(value, type):
        return sys.getsizeof(value) + sum(size_of(getattr(value, f.name)) for f in fields(value))
    return sys.getsizeof(value)


@dataclass
class Entry:
    value: Any
    size: int
    convention: int | None


@dataclass
class Stats:
    hits: int = 0
    misses: int = 0
    evictions: int = 0  # dropped for room
    invalidations: int = 0  # dropped because their convention's data changed


class MemoryCache:
    def __init__(self, budget_bytes: int) -> None:
        self.budget = budget_bytes
        self.used = 0
        self.stats = Stats()
        self._entries: OrderedDict[Key, Entry] = OrderedDict()
        self._versions: dict[int | None, int] = {}  # the newest version seen, per convention
        self._lock = threading.Lock()

    def get_or_compute(self, key: Hashable, convention: int | None, version: int, compute: Callable[[], Any]) -> Any:
        """The value cached under (`convention`, `version`, `key`), computed on a miss. The caller
        gets its own copy: pages may change a frame they were given without changing the cache."""
        full: Key = (convention, version, key)
        with self._lock:
            self._see(convention, version)
            entry = self._entries.get(full)
            if entry is not None:
                self._entries.move_to_end(full)
                self.stats.hits += 1
            else:
                self.stats.misses += 1
        if entry is None:
            value = compute()
            self._put(full, Entry(value, size_of(value), convention), version)
            return copy.deepcopy(value)
        return copy.deepcopy(entry.value)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
            self._versions.clear()
            self.used = 0

    def __len__(self) -> int:
        return len(self._entries)

    def _see(self, convention: int | None, version: int) -> None:
        """A newer version of `convention`: its entries of older versions can never be read again."""
        if version <= self._versions.get(convention, -1):
            return
        self._versions[convention] = version
        stale = [k for k, e in self._entries.items() if e.convention == convention and k[1] < version]
        for key in stale:
            self._drop(key)
        self.stats.invalidations += len(stale)

    def _put(self, key: Key, entry: Entry, version: int) -> None:
        with self._lock:
            if version < self._versions.get(entry.convention, -1) or entry.size > self.budget:
                return  # computed from data already replaced, or bigger than the whole cache
            if key in self._entries:
                self._drop(key)
            self._entries[key] = entry
            self.used += entry.size
            while self.used > self.budget:
                self._drop(next(iter(self._entries)))
                self.stats.evictions += 1

    def _drop(self, key: Key) -> None:
        self.used -= self._entries.pop(key).size
