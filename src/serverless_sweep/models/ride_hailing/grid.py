"""The Berlin H3 grid, built once per process.

Resolution 9: hexagons of about 0.1 km² whose neighbouring centres are ~0.33 km apart in
Berlin, so a trip of 5 to 60 cells is 1.6 to 20 km (city rides) and match_radius counts in
steps of a third of a km. The bounding box lat 52.34–52.68, lng 13.08–13.76 holds 18,556 cells
(every cell whose centre lies inside the box), all on one icosahedron face, so H3 local IJ
coordinates against one anchor are exact: the grid distance of two cells is
max(|Δi|, |Δj|, |Δi − Δj|), equal to `h3.grid_distance` (checked in the tests on a sample).
Distances are computed from those coordinates with numpy, never with h3 in a loop.

Neighbourhoods (grid disks, rings) use a padded IJ raster: cell c sits at flat position
`flat[c]` of a row-major (i, j) raster with `PAD` empty cells around the box, so the disk or
ring of radius r ≤ PAD around c is `flat[c] + offsets(r)` without bound checks, and
`raster_cell[...]` maps raster positions back to cell indices (-1 outside the box).

Distances in km: a route of d ≥ 1 cells is driven as d steps of `KM_PER_CELL` (the mean
distance between neighbouring centres; a zig-zag path stands in for the road detour); a pickup
inside the same cell is `SAME_CELL_KM` (the mean distance of two random points in a hexagon of
this size).

Where people are: pickups and driver start cells follow a fixed spatial weight per cell, 70 %
a Gaussian around Berlin-Mitte (σ = 5 km) and 30 % uniform over the box.

Precomputed (issue 8, cold start): building the grid with h3 takes about 0.1 s, and importing
h3 another 0.05 s, of a child Lambda's first invocation. The child artifact's build therefore
runs `write_precomputed` (infra/build_lambda.py) and ships the built grid's state next to this
module (`PRECOMPUTED_FILE`: a JSON header and the raw arrays, no pickle); `berlin_grid`
loads it in milliseconds and imports no h3. The file names the sha256 of this module's source
it was built from, so a stale copy (this module edited, the file not rebuilt) is ignored and
the grid is built as before.

Cached per machine (issue 13): where no precomputed file ships (a development checkout, an
installed wheel), `berlin_grid` keeps the same state in the user's cache folder
(`cache_dir()`: $SWEEP_CACHE_DIR, else $XDG_CACHE_HOME/serverless-sweep, else
~/.cache/serverless-sweep; `SWEEP_CACHE_DIR=off` turns it off), in a file named by a digest of
everything the built grid depends on (this module's source, the h3 and numpy versions, the
Python version and machine; `cache_key()`), so a local `sweep run`'s fork server loads it in a
few ms instead of importing h3 and building the grid (0.15-0.2 s on its critical path). The
cache can never give another grid than a build: a file whose header or body does not check out
(truncated, corrupt, written by another version: the header holds the body's length and CRC-32
and the key) is ignored, and the grid is built and written again; the file is published by an
atomic rename, so concurrent builders each write a whole file and readers see one or none;
a folder that cannot be written (read-only, a Lambda's home) only means no cache.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import math
import os
import platform
import sys
import zlib
from functools import cache, cached_property
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

logger = logging.getLogger(__name__)

RESOLUTION = 9
LAT_MIN, LAT_MAX = 52.34, 52.68
LNG_MIN, LNG_MAX = 13.08, 13.76
KM_PER_CELL = 0.33
SAME_CELL_KM = 0.16
HOTSPOT_LATLNG = (52.5200, 13.4050)
HOTSPOT_SIGMA_KM = 5.0
HOTSPOT_SHARE = 0.7
PAD = 64  # largest ring or disk radius the raster serves (trips go up to 60 cells)
_ANCHOR_LATLNG = (52.51, 13.42)
_KM_PER_DEG_LAT = 111.2


@cache
def hex_offsets(radius: int, ring_only: bool = False) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
    """(Δi, Δj) of the cells within (or exactly at) radius of a cell, in a fixed order."""
    span = np.arange(-radius, radius + 1)
    di, dj = (a.ravel() for a in np.meshgrid(span, span, indexing="ij"))
    dist = np.maximum(np.maximum(np.abs(di), np.abs(dj)), np.abs(di - dj))
    keep = dist == radius if ring_only else dist <= radius
    return di[keep].astype(np.intp), dj[keep].astype(np.intp)


class BerlinGrid:
    """Cells of the box, their IJ coordinates, the padded raster and spawn weights."""

    def __init__(self) -> None:
        import h3  # here, not at module level: a precomputed grid needs no h3 (see above)

        box = h3.LatLngPoly(
            [(LAT_MIN, LNG_MIN), (LAT_MIN, LNG_MAX), (LAT_MAX, LNG_MAX), (LAT_MAX, LNG_MIN)]
        )
        cells = sorted(h3.h3shape_to_cells(box, RESOLUTION))
        self.cells: tuple[str, ...] = tuple(cells)
        self.size = len(cells)
        anchor = h3.latlng_to_cell(*_ANCHOR_LATLNG, RESOLUTION)
        ij = np.array([h3.cell_to_local_ij(anchor, c) for c in cells], dtype=np.int64)
        i = ij[:, 0] - ij[:, 0].min()
        j = ij[:, 1] - ij[:, 1].min()
        # Coordinates for distances: d = max(|Δi|, |Δj|, |Δk|) with k = i - j.
        self.ci: NDArray[np.int32] = i.astype(np.int32)
        self.cj: NDArray[np.int32] = j.astype(np.int32)
        self.ck: NDArray[np.int32] = (i - j).astype(np.int32)

        # Padded raster.
        self.rows = int(i.max()) + 1 + 2 * PAD
        self.stride = int(j.max()) + 1 + 2 * PAD
        self.flat: NDArray[np.intp] = ((i + PAD) * self.stride + (j + PAD)).astype(np.intp)
        raster = np.full(self.rows * self.stride, -1, dtype=np.intp)
        raster[self.flat] = np.arange(self.size)
        self.raster_cell: NDArray[np.intp] = raster

        latlng = np.array([h3.cell_to_latlng(c) for c in cells], dtype=np.float64)
        self.latlng: NDArray[np.float64] = latlng
        dy = (latlng[:, 0] - HOTSPOT_LATLNG[0]) * _KM_PER_DEG_LAT
        dx = (
            (latlng[:, 1] - HOTSPOT_LATLNG[1])
            * _KM_PER_DEG_LAT
            * math.cos(math.radians(HOTSPOT_LATLNG[0]))
        )
        gauss = np.exp(-(dx * dx + dy * dy) / (2.0 * HOTSPOT_SIGMA_KM**2))
        weights = HOTSPOT_SHARE * gauss / gauss.sum() + (1.0 - HOTSPOT_SHARE) / self.size
        self.weights: NDArray[np.float64] = weights / weights.sum()
        self.cum_weights: NDArray[np.float64] = np.cumsum(self.weights)
        # The weights on the padded raster (0 outside the box): drop-off draws gather a ring's
        # weights in one step.
        self.raster_weight: NDArray[np.float64] = np.zeros(self.rows * self.stride)
        self.raster_weight[self.flat] = self.weights
        for array in (
            self.ci,
            self.cj,
            self.ck,
            self.flat,
            self.raster_cell,
            self.weights,
            self.raster_weight,
        ):
            array.setflags(write=False)
        self.max_distance = int(max(np.ptp(self.ci), np.ptp(self.cj), np.ptp(self.ck)))
        self._offsets: dict[tuple[int, bool], NDArray[np.intp]] = {}
        self._by_ring: dict[int, tuple[NDArray[np.intp], NDArray[np.intp]]] = {}

    # The same as Python lists, for the simulation's per-event code (indexing a list is several
    # times cheaper than indexing a numpy array for one element), built once per process rather
    # than once per point. Cached properties, not attributes set in __init__: the precomputed
    # grid (below) stores the built state, and these are derived from it on first use.

    @cached_property
    def flat_list(self) -> list[int]:
        result: list[int] = self.flat.tolist()
        return result

    @cached_property
    def ci_list(self) -> list[int]:
        result: list[int] = self.ci.tolist()
        return result

    @cached_property
    def cj_list(self) -> list[int]:
        result: list[int] = self.cj.tolist()
        return result

    @cached_property
    def ck_list(self) -> list[int]:
        result: list[int] = self.ck.tolist()
        return result

    @cached_property
    def cell_ids(self) -> list[int]:
        """One int object per cell, shared by every per-rider list that names cells."""
        return list(range(self.size))

    def flat_offsets(self, radius: int, ring_only: bool = False) -> NDArray[np.intp]:
        """Raster offsets of a disk (or ring) of this radius; radius must be ≤ PAD."""
        key = (radius, ring_only)
        found = self._offsets.get(key)
        if found is None:
            if radius > PAD:
                raise ValueError(f"radius {radius} exceeds the raster padding {PAD}")
            di, dj = hex_offsets(radius, ring_only)
            found = di * self.stride + dj
            self._offsets[key] = found
        return found

    def disk_by_ring(self, radius: int) -> tuple[NDArray[np.intp], NDArray[np.intp]]:
        """Raster offsets of the disk of this radius ring by ring (0, 1, ...), and each one's
        grid distance; radius must be ≤ PAD. The spatial index of the simulation scans a disk
        in this order so that it can stop at the first ring that answers its question."""
        found = self._by_ring.get(radius)
        if found is None:
            offsets = [self.flat_offsets(d, ring_only=True) for d in range(radius + 1)]
            dist = [np.full(o.size, d, dtype=np.intp) for d, o in enumerate(offsets)]
            found = (np.concatenate(offsets), np.concatenate(dist))
            for array in found:
                array.setflags(write=False)
            self._by_ring[radius] = found
        return found

    def distances(self, cell: int, others: NDArray[np.intp]) -> NDArray[np.int32]:
        """Grid distances from one cell to each of others."""
        d: NDArray[np.int32] = np.abs(self.ci[others] - self.ci[cell])
        np.maximum(d, np.abs(self.cj[others] - self.cj[cell]), out=d)
        np.maximum(d, np.abs(self.ck[others] - self.ck[cell]), out=d)
        return d

    def distance_matrix(self, a: NDArray[np.intp], b: NDArray[np.intp]) -> NDArray[np.int32]:
        """Grid distances between every cell of a (rows) and of b (columns)."""
        d: NDArray[np.int32] = np.abs(self.ci[a][:, None] - self.ci[b][None, :])
        np.maximum(d, np.abs(self.cj[a][:, None] - self.cj[b][None, :]), out=d)
        np.maximum(d, np.abs(self.ck[a][:, None] - self.ck[b][None, :]), out=d)
        return d

    def distance(self, a: int, b: int) -> int:
        return int(
            max(
                abs(int(self.ci[a]) - int(self.ci[b])),
                abs(int(self.cj[a]) - int(self.cj[b])),
                abs(int(self.ck[a]) - int(self.ck[b])),
            )
        )

    def ring(self, cell: int, radius: int) -> NDArray[np.intp]:
        """Cells of the box at exactly this grid distance from cell (radius ≤ PAD)."""
        found = self.raster_cell[self.flat[cell] + self.flat_offsets(radius, ring_only=True)]
        inside: NDArray[np.intp] = found[found >= 0]
        return inside

    def disk(self, cell: int, radius: int) -> NDArray[np.intp]:
        """Cells of the box within this grid distance of cell (radius ≤ PAD)."""
        found = self.raster_cell[self.flat[cell] + self.flat_offsets(radius)]
        inside: NDArray[np.intp] = found[found >= 0]
        return inside


@cache
def berlin_grid() -> BerlinGrid:
    """The process-wide grid: the precomputed one when this module ships it (a few ms), else
    the one cached on this machine (a few ms), else built on first use (~0.1 s, plus h3's
    import) and cached for the next process."""
    return load_precomputed() or cached_grid()


# -- the precomputed grid (issue 8) ---------------------------------------------------------------

PRECOMPUTED_FILE = Path(__file__).with_name("berlin_grid.bin")
_STATE_FORMAT = 1
_ALIGN = 64


def _source_digest() -> str:
    """sha256 of this module's source: what a precomputed grid was built from."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


def encode_state(grid: BerlinGrid, extra: dict[str, object] | None = None) -> bytes:
    """The bytes of a grid's state file (see `write_precomputed`); `extra` goes into the header.

    The file is one JSON header line (this module's sha256, the body's length and CRC-32, and
    per attribute its kind and, for arrays, dtype, shape, offset, read-only flag) followed by the
    arrays' raw bytes, each at a 64-byte aligned offset: no pickle, no zip (np.savez would stamp
    the time, and loading it imports zipfile), and the same grid gives the same bytes. Every
    attribute of the built grid is stored: arrays as they are, ints, tuples of str (joined by
    newlines), and empty dicts (the grid's own lazy caches); any other type is refused, so a
    grid that grows one cannot ship half its state.
    """
    blobs: list[bytes] = []
    offset = 0
    attributes: dict[str, dict[str, object]] = {}

    def add(data: bytes) -> int:
        nonlocal offset
        start = offset
        padding = -len(data) % _ALIGN
        blobs.append(data + b"\0" * padding)
        offset += len(data) + padding
        return start

    for name, value in vars(grid).items():
        if isinstance(value, np.ndarray):
            array = np.ascontiguousarray(value)
            attributes[name] = {
                "kind": "array",
                "dtype": array.dtype.str,
                "shape": list(array.shape),
                "offset": add(array.tobytes()),
                "writeable": bool(value.flags.writeable),
            }
        elif isinstance(value, int) and not isinstance(value, bool):
            attributes[name] = {"kind": "int", "value": value}
        elif isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            if any("\n" in v for v in value):
                raise ValueError(f"BerlinGrid.{name}: a string holds a newline")
            text = "\n".join(value).encode()
            attributes[name] = {
                "kind": "strings",
                "count": len(value),
                "offset": add(text),
                "bytes": len(text),
            }
        elif isinstance(value, dict) and not value:
            attributes[name] = {"kind": "dict"}
        else:
            raise TypeError(
                f"BerlinGrid.{name} ({type(value).__name__}) cannot be precomputed: store it "
                f"in encode_state/decode_state (models/ride_hailing/grid.py)"
            )
    body = b"".join(blobs)
    header = {
        "format": _STATE_FORMAT,
        "source_sha256": _source_digest(),
        "body_bytes": len(body),
        "body_crc32": zlib.crc32(body),
        "attributes": attributes,
        **(extra or {}),
    }
    return json.dumps(header, sort_keys=True).encode() + b"\n" + body


def decode_state(content: bytes, expect: dict[str, object] | None = None) -> BerlinGrid | None:
    """The grid of a state file's bytes, or None when they were not written by this version
    of this module (format, source digest, and each `expect` header field), or do not check
    out: a header that is not JSON, a body whose length or CRC-32 differs (truncated, corrupt:
    a checksum against accidents, the key in the header guards against other versions), an
    attribute that does not fit it. Never raises for bad content: the caller builds instead."""
    line, newline, body = content.partition(b"\n")
    try:
        header = json.loads(line) if newline else None
    except ValueError:  # not UTF-8, not JSON
        return None
    if not isinstance(header, dict):
        return None
    wanted = {"format": _STATE_FORMAT, "source_sha256": _source_digest(), **(expect or {})}
    if any(header.get(key) != value for key, value in wanted.items()):
        return None
    if header.get("body_bytes") != len(body) or header.get("body_crc32") != zlib.crc32(body):
        return None
    try:
        return _grid_of(header["attributes"], body)
    except (KeyError, TypeError, ValueError, AttributeError, UnicodeDecodeError):
        return None


def _grid_of(attributes: dict[str, dict[str, object]], body: bytes) -> BerlinGrid:
    grid = BerlinGrid.__new__(BerlinGrid)
    for name, spec in attributes.items():
        value: object
        if spec["kind"] == "array":
            dtype = np.dtype(str(spec["dtype"]))
            if dtype.hasobject:
                raise ValueError(f"{name}: object arrays are never stored")
            shape = [int(n) for n in spec["shape"]]  # type: ignore[attr-defined]
            count, start = math.prod(shape), int(spec["offset"])  # type: ignore[call-overload]
            if start < 0 or start + count * dtype.itemsize > len(body):
                raise ValueError(f"{name}: outside the body")
            array = np.frombuffer(body, dtype=dtype, count=count, offset=start).reshape(shape)
            value = array.copy() if spec["writeable"] else array  # frombuffer: read-only
        elif spec["kind"] == "int":
            value = int(spec["value"])  # type: ignore[call-overload]
        elif spec["kind"] == "strings":
            start, size = int(spec["offset"]), int(spec["bytes"])  # type: ignore[call-overload]
            if start < 0 or start + size > len(body):
                raise ValueError(f"{name}: outside the body")
            text = body[start : start + size].decode()
            value = tuple(text.split("\n")) if spec["count"] else ()
        elif spec["kind"] == "dict":
            value = {}
        else:
            raise ValueError(f"{name}: unknown kind {spec['kind']!r}")
        setattr(grid, name, value)
    return grid


def write_precomputed(path: Path | None = None) -> Path:
    """Build the grid and write its state to `path` (the child artifact's build runs this);
    the format is `encode_state`'s."""
    path = PRECOMPUTED_FILE if path is None else path
    content = encode_state(BerlinGrid())
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return path


def load_precomputed(path: Path | None = None) -> BerlinGrid | None:
    """The grid `write_precomputed` stored at `path` (default PRECOMPUTED_FILE), or None when
    there is none, it was built from another version of this module, or it does not check out
    (the caller then builds the grid)."""
    path = PRECOMPUTED_FILE if path is None else path
    try:
        content = path.read_bytes()
    except OSError:  # absent (a development checkout), unreadable
        return None
    return decode_state(content)


# -- the grid cached per machine (issue 13) -------------------------------------------------------

CACHE_DIR_ENV = "SWEEP_CACHE_DIR"
CACHE_OFF = "off"


def cache_dir() -> Path | None:
    """Where this machine's grid cache lives (None: turned off, or no home to put it in)."""
    chosen = os.environ.get(CACHE_DIR_ENV, "")
    if chosen == CACHE_OFF:
        return None
    if chosen:
        return Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME", "")
    try:
        root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    except (RuntimeError, KeyError):  # no home directory known
        return None
    return root / "serverless-sweep"


def cache_key() -> str:
    """sha256 of what a built grid depends on: this module's source, the format, the h3 and
    numpy versions, the Python version and the machine (numpy's math may differ between
    builds and processors' instruction sets, so a cache folder shared across machines of
    different kinds gets one file per kind)."""
    parts = {
        "format": _STATE_FORMAT,
        "source_sha256": _source_digest(),
        "h3": _h3_version(),
        "numpy": np.__version__,
        "python": list(sys.version_info[:2]),
        "machine": platform.machine(),
        "byteorder": sys.byteorder,
    }
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()


def _h3_version() -> str:
    """The installed h3's distribution ("h3-4.5.0.dist-info"), without importing h3: its
    metadata folder beside the package (0.5 ms), else importlib.metadata's answer (5-7 ms:
    it scans every folder of sys.path), else "absent"."""
    import importlib.util

    try:
        spec = importlib.util.find_spec("h3")
        if spec is None or spec.origin is None:
            return "absent"
        site = Path(spec.origin).parent.parent
        found = [n for n in os.listdir(site) if n.startswith("h3-") and n.endswith(".dist-info")]
        if len(found) == 1:
            return found[0]
        from importlib import metadata

        return "h3-" + metadata.version("h3")
    except Exception:  # an unreadable folder, no metadata: a key of its own, never a wrong hit
        return "unknown"


def cache_file(key: str | None = None) -> Path | None:
    """The cache file of this machine's grid (None: no cache)."""
    folder = cache_dir()
    if folder is None:
        return None
    return folder / f"berlin_grid-{(key or cache_key())[:32]}.bin"


def cached_grid() -> BerlinGrid:
    """The grid from this machine's cache, else built and written to it (see the module
    docstring: a file that does not check out is ignored and replaced, a cache that cannot be
    written is only a warning in the debug log)."""
    key = cache_key()
    path = cache_file(key)
    if path is not None:
        try:
            content = path.read_bytes()
        except OSError:
            content = b""
        grid = decode_state(content, {"cache_key": key}) if content else None
        if grid is not None:
            return grid
    grid = BerlinGrid()
    if path is not None:
        _write_cache(path, encode_state(grid, {"cache_key": key}))
    return grid


def _write_cache(path: Path, content: bytes) -> None:
    """Publish `content` at `path` atomically (a temporary file of this process, then a
    rename), so a reader or a concurrent writer never sees half a file; errors are logged."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(temporary, "xb") as handle:
            handle.write(content)
        os.replace(temporary, path)
    except OSError as exc:
        logger.debug("could not cache the grid at %s: %s", path, exc)
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
