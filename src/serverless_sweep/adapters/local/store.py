"""`ObjectStore` over a local folder, with the S3 semantics the handlers rely on.

Keys use '/' and map to relative paths under `root`. Every write goes to a temp file in the
destination directory first, is fsynced and then published:

* `put` writes a named temp file (`.tmp-…`, never listed) and publishes it with `os.replace`
  (atomic overwrite: readers see the old or the new bytes);
* `put_if_absent` publishes with a hard link (atomic exclusive create: it fails when the key
  exists, so of several racing writers exactly one wins, and readers never see a partial
  file). Its temp file is unnamed where Linux can make one (`O_TMPFILE`, issue 13): no name
  to make up, create and remove (one directory update instead of three, about half the CPU
  of a tiny file), linked to its key through `/proc/self/fd`, and gone with its process if
  that dies before the link (a SIGKILL leaves nothing at all). A file system or kernel
  without unnamed files (EOPNOTSUPP, EISDIR before Linux 3.11), or a process without /proc,
  uses named temp files, as before; a power cut before the link leaves an unattached inode,
  which the file system's recovery (the journal's orphan list, or e2fsck) frees.

Group commit (`group_commit()`, issue 13): an fsync is a journal commit, about 1.5-3 ms here,
and a shard writes two objects (its Parquet file, then the envelope that commits it). Inside a
group the writes of the calling thread are published at once, as always (create-if-absent is
decided at once, a reader or a SIGKILL sees the whole file or nothing), but their fsync is
deferred: `CommitGroup.commit_if_absent` then writes the commit object and makes it durable
together with every write of the group before it (one journal commit for all of them), and
only then publishes it. So the commit object is never durable before what it commits, and a
shard costs one journal commit instead of two. The group's end syncs whatever is still pending.
What a power loss can leave: a deferred write published but not yet durable, which no commit
names yet (for shards: an orphan Parquet file, invisible to queries, that `sweep verify` lists,
and that a retry of the same attempt finds damaged and refuses to adopt).

Durability batch (`durability_batch()`, issue 13): a worker running several tiny shards in one
task opens a batch around them, and their group commits share one barrier. Inside a batch a
group's `commit_if_absent` / `commit` decides create-if-absent at once for keys already there
(AlreadyExists) but neither syncs nor publishes: the commit object waits, as a temp file (an
open unnamed one, at most `MAX_HELD_FILES` per batch, then named ones), for the batch's end,
which makes every deferred write of every group durable (one `syncfs` of the store's file
system for a large batch on Linux 5.8+, which reports write-back errors; else one
round of fsyncs, run in parallel so the journal commits them together) and only then publishes the
commit objects in order, then runs the `when_published` callbacks (what must follow a commit,
such as compaction). So a commit object is still never durable, or even visible, before what
it commits; a SIGKILL before the end leaves uncommitted orphans only, and the platform's retry
adopts or recomputes them. Writes outside a group stay durable when they return, except empty
objects (compaction's completion markers): no data whose order matters, so an empty object
created (create-if-absent) in a batch gets no sync of its own; its directory entry reaches the
disk with the next journal commit (the next barrier's, or the kernel's within seconds), and a
marker lost to a power cut only leaves compaction to `sweep compact`.
A commit that loses a create-if-absent race at publication (a duplicate delivery in the same
batch) is dropped, its temp file removed (or closed): the other one committed the shard.

Local limitations (S3 has none of them): a key cannot also be a "folder" of other keys (`a` and
`a/b` cannot both exist), and `content_type` is not stored.
"""

from __future__ import annotations

import contextlib
import errno
import itertools
import logging
import os
import re
import stat
import sys
import threading
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from serverless_sweep.handlers.ports import AlreadyExists, StoreError, StoreNotConfigured

TEMP_PREFIX = ".tmp-"
"""Name prefix of in-progress writes; `list_keys` skips such files and keys may not use it."""

DEFAULT_STORE_ROOT = Path("sweep-data")
"""Default root for callers (relative to the working directory), overridden by `SWEEP_STORE`."""

STORE_ENV_VAR = "SWEEP_STORE"

logger = logging.getLogger(__name__)

BARRIER_THREADS = 16
"""fsyncs in flight at a batch's barrier: concurrent fsyncs share the journal's commits."""

SYNCFS_MIN_FILES = 16
"""A barrier over at least this many files syncs their file system at once (`syncfs`) instead
of fsyncing each: measured on ext4 here, 512 files (a batch of 256 tiny shards) took 64-96 ms
of wall and 75-80 ms of CPU with 16 fsync threads, against 7-33 ms of wall and about 1 ms of
CPU with one syncfs (issue 13). It also flushes whatever else is dirty on that file system,
which a small barrier is not worth."""


_PLAIN_SEPARATORS = os.sep == "/" and os.altsep is None
"""Paths here separate folders with '/' only, as keys do (POSIX)."""


def store_root_from_env(environ: Mapping[str, str] | None = None) -> Path:
    """`$SWEEP_STORE` when set and non-empty, else `./sweep-data`."""
    env = os.environ if environ is None else environ
    value = env.get(STORE_ENV_VAR, "").strip()
    return Path(value) if value else DEFAULT_STORE_ROOT


def _segment_problem(segment: str) -> str | None:
    if segment == "":
        return "empty path segment"
    if segment in (".", ".."):
        return f"'{segment}' path segment"
    if "\x00" in segment:
        return "NUL character"
    if "\\" in segment:
        return "backslash (a path separator on Windows)"
    if segment.startswith(TEMP_PREFIX):
        return f"segment starting with the reserved temp prefix {TEMP_PREFIX!r}"
    return None


_VALID_FOLDERS = 4096
"""Valid key folders a store remembers (it forgets them all at this many)."""


_PLAIN_NAME = re.compile(r"[A-Za-z0-9_=-][A-Za-z0-9._=-]*")


def _name_is_plain(name: str) -> bool:
    """Whether a key's last segment is surely fine (the common case, checked cheaply): ASCII
    letters, digits and `-_.=` only, not empty and not starting with a dot (so not '.', '..'
    or the temp prefix). Anything else is checked in full (`key_problem`)."""
    return _PLAIN_NAME.fullmatch(name) is not None


def key_problem(key: str) -> str | None:
    """Why `key` cannot be stored locally, or None when it is fine."""
    if not isinstance(key, str):
        return "key is not a string"
    if key == "":
        return "empty key"
    if key.startswith("/"):
        return "absolute key (leading '/')"
    try:
        key.encode("utf-8")
    except UnicodeEncodeError:
        return "not encodable as UTF-8"
    for segment in key.split("/"):
        problem = _segment_problem(segment)
        if problem is not None:
            return problem
    return None


class LocalObjectStore:
    """A flat key -> bytes store in a folder (see the module docstring for the semantics)."""

    reads_are_local = True
    """Reads are system calls, not round trips: bulk reads stay on the calling thread
    (`handlers.bulk_reads`)."""

    def __init__(self, root: Path | str, *, fsync: bool = True) -> None:
        self._root = Path(os.path.abspath(os.fspath(root)))
        self._root_text = os.fspath(self._root)
        self._fsync = fsync
        self._configured = False
        self._local = threading.local()  # the calling thread's open CommitGroup, if any
        # key folder -> its directory's path, for folders found valid (see `_where`)
        self._valid_folders: dict[str, str] = {}
        self._unnamed = _unnamed_files_possible()  # new files start unnamed (see `_new_file`)

    @property
    def root(self) -> Path:
        return self._root

    def __repr__(self) -> str:
        return f"LocalObjectStore({str(self._root)!r})"

    # -- keys -----------------------------------------------------------------------------------

    def path_for(self, key: str) -> Path:
        """The file that holds `key` (raise ValueError naming the key when it is not allowed)."""
        return Path(self._file_of(key))

    def _file_of(self, key: str) -> str:
        """`path_for` as text, what the store's own system calls take (a Path object per key
        cost more than the rest of the key's handling, several times per tiny shard)."""
        return self._where(key)[1]

    def _where(self, key: str) -> tuple[str, str]:
        """(the folder, the file) that hold `key`, as text (ValueError when it is not allowed).

        A key's folder part, once found valid, is remembered with its directory's path (a run
        writes thousands of keys into a few folders), so only the last segment is checked
        again and the path is one concatenation."""
        folder, _, name = key.rpartition("/") if isinstance(key, str) else ("", "", "")
        directory = self._valid_folders.get(folder) if folder else None
        if directory is not None and _name_is_plain(name):
            return directory, f"{directory}/{name}"  # os.path.join's result (root "/" included)
        problem = key_problem(key)
        if problem is not None:
            raise ValueError(f"invalid store key {key!r}: {problem}")
        if _PLAIN_SEPARATORS:
            # key_problem refused empty, '.' and '..' segments, a leading '/', NUL and
            # backslashes, so the key joined under the (absolute, normalized) root cannot
            # leave it: no normalization needed (it cost most of a shard's key handling).
            path = os.path.join(self._root_text, key)
            if not folder:
                return self._root_text, path
            directory = os.path.join(self._root_text, folder)
            if len(self._valid_folders) >= _VALID_FOLDERS:
                self._valid_folders.clear()
            self._valid_folders[folder] = directory
            return directory, path
        path = os.path.normpath(os.path.join(self._root, *key.split("/")))
        root = os.fspath(self._root)
        if os.path.commonpath([root, path]) != root or path == root:
            raise ValueError(f"invalid store key {key!r}: escapes the store root")
        return os.path.dirname(path), path

    # -- ObjectStore ----------------------------------------------------------------------------

    def check_configured(self) -> None:
        """Create the root when missing and prove it is writable, else raise StoreNotConfigured.

        Proven once per store object (a child checks before every shard): a root that later
        becomes unwritable fails the shard's writes instead, recorded as a storage error."""
        if self._configured:
            return
        try:
            os.makedirs(self._root, exist_ok=True)
            probe = self._root / f"{TEMP_PREFIX}probe-{uuid.uuid4().hex}"
            fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            os.close(fd)
            os.unlink(probe)
        except OSError as exc:
            raise StoreNotConfigured(
                f"local store root {str(self._root)!r} cannot be created or written: {exc}"
            ) from exc
        self._configured = True

    def put(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        deferred = self._deferred_by(data)
        path = self._file_of(key)
        tmp = self._write_temp(key, path, data, sync=deferred is None)
        self._replace(key, path, tmp)
        if deferred is not None:
            deferred.defer(path)

    def put_if_absent(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        deferred = self._deferred_by(data)
        directory, path = self._where(key)
        if len(data) == 0:
            self._create_empty(key, path)  # no bytes to hide while half-written: no temp file
            if isinstance(deferred, DurabilityBatch):
                return  # a marker in a batch: no sync of its own (see the module docstring)
        else:
            new = self._new_file(key, directory, path, data, sync=deferred is None)
            self._publish_new(key, path, new)
        if deferred is not None:
            deferred.defer(path)
        elif len(data) == 0 and self._fsync:
            _fsync_path(path)

    def _deferred_by(self, data: bytes) -> CommitGroup | DurabilityBatch | None:
        """Who makes a plain write durable later: the open group, else the open batch for an
        empty object (see the module docstring), else nobody (it is synced at once)."""
        group = self._group()
        if group is not None:
            return group
        batch = self._batch()
        if batch is not None and len(data) == 0:
            return batch
        return None

    @contextlib.contextmanager
    def group_commit(self) -> Iterator[CommitGroup]:
        """A group commit on this thread (see the module docstring); groups do not nest."""
        if self._group() is not None:
            raise RuntimeError("a group commit is already open on this thread")
        group = CommitGroup(self)
        self._local.group = group
        try:
            yield group
        except BaseException:
            self._local.group = None
            with contextlib.suppress(StoreError):
                group.sync()  # best effort: the block's own error is the one to report
            raise
        self._local.group = None
        group.sync()

    def _group(self) -> CommitGroup | None:
        group: CommitGroup | None = getattr(self._local, "group", None)
        return group

    @contextlib.contextmanager
    def durability_batch(self) -> Iterator[DurabilityBatch]:
        """A durability batch on this thread (see the module docstring); batches do not nest.

        The block's end runs the barrier, publishes the commits and runs the callbacks; a
        commit that could not be made durable or published is in `problems` (by `owner`), so
        the caller can fail just the attempts it belonged to.
        """
        if self._batch() is not None:
            raise RuntimeError("a durability batch is already open on this thread")
        batch = DurabilityBatch(self)
        self._local.batch = batch
        try:
            yield batch
        except BaseException:
            self._local.batch = None
            batch.abandon()
            raise
        try:
            batch.finish()
        finally:
            self._local.batch = None

    def _batch(self) -> DurabilityBatch | None:
        batch: DurabilityBatch | None = getattr(self._local, "batch", None)
        return batch

    def when_published(self, callback: Callable[[], object]) -> None:
        """Run `callback` once this thread's commits so far are published: at once, or at the
        end of the open durability batch (work that must follow a commit, like compaction)."""
        batch = self._batch()
        if batch is None:
            callback()
        else:
            batch.after(callback)

    def _replace(self, key: str, path: str, tmp: str) -> None:
        try:
            os.replace(tmp, path)
        except OSError as exc:
            _unlink_quietly(tmp)
            raise StoreError(f"cannot write store key {key!r}: {_describe(exc)}") from exc

    def _create_empty(self, key: str, path: str) -> None:
        """Create an empty object create-if-absent: one exclusive create, atomic by itself (a
        reader sees no file or the whole, empty one), so no temp file and link are needed."""
        try:
            fd = _open_exclusive(path)
        except FileExistsError as exc:
            raise _key_taken(key, path) from exc
        except OSError as exc:
            raise StoreError(f"cannot write store key {key!r}: {_describe(exc)}") from exc
        os.close(fd)

    def _link(self, key: str, path: str, tmp: str) -> None:
        """Publish `tmp` as `key` create-if-absent (and remove the temp name either way)."""
        try:
            _link_new(key, path, tmp, follow_symlinks=False)
        finally:
            _unlink_quietly(tmp)

    def _publish_new(self, key: str, path: str, new: _NewFile) -> None:
        """Publish a file from `_new_file` as `key` create-if-absent (its temp name removed or
        its descriptor closed either way)."""
        if isinstance(new, int):
            _link_unnamed(key, path, new)
        else:
            self._link(key, path, new)

    def _new_file(
        self, key: str, directory: str, path: str, data: bytes, *, sync: bool
    ) -> _NewFile:
        """`data` in a new file of `directory` that no key names yet (synced when `sync`):
        an open descriptor of an unnamed file (O_TMPFILE, Linux 3.11+) where the file system
        supports it, else the path of a named temp file (`_write_temp`).

        An unnamed file is the lean path of a tiny shard's writes (issue 13): no temp name to
        make up, create and remove (two directory updates of the three), and nothing left
        behind if the process dies before it is linked. The first file system that refuses
        one turns this store to named temp files for good."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"store data for key {key!r} must be bytes, not {type(data).__name__}")
        if self._unnamed:
            fd = self._open_unnamed(key, directory)
            if fd is not None:
                _fill(key, fd, data, sync=sync and self._fsync)
                return fd
        return self._write_temp(key, path, data, sync=sync)

    def _open_unnamed(self, key: str, directory: str) -> int | None:
        """An unnamed file in `directory` (its folders created when missing, and only then),
        or None when the file system cannot make one (this store then stops trying)."""
        try:
            try:
                return os.open(directory, _UNNAMED, 0o666)
            except FileNotFoundError:
                _make_folder(directory)
                return os.open(directory, _UNNAMED, 0o666)
        except OSError as exc:
            if exc.errno in _NO_UNNAMED_FILES:
                self._unnamed = False
                return None
            raise StoreError(f"cannot write store key {key!r}: {_describe(exc)}") from exc

    def get(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is none. One open and no file object: the
        common call is a child's "already done?" probe of a key that is missing (issue 13)."""
        path = self._file_of(key)
        try:
            fd = os.open(path, _READ)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as exc:
            raise StoreError(f"cannot read store key {key!r}: {exc}") from exc
        try:
            info = os.fstat(fd)
            if not stat.S_ISREG(info.st_mode):
                return None  # a folder of other keys (open() refused those: IsADirectoryError)
            return _read_all(fd, info.st_size)
        except IsADirectoryError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read store key {key!r}: {exc}") from exc
        finally:
            os.close(fd)

    def exists(self, key: str) -> bool:
        path = self._file_of(key)
        try:
            return stat.S_ISREG(os.stat(path).st_mode)
        except (FileNotFoundError, NotADirectoryError):
            return False
        except OSError as exc:
            raise StoreError(f"cannot stat store key {key!r}: {exc}") from exc

    def list_keys(self, prefix: str) -> Iterator[str]:
        """Every key starting with `prefix` (a plain string prefix, as on S3), in code point order.

        A prefix that no valid key can start with (for example one with an empty or '..' folder
        segment) lists nothing; the file system outside the root is never looked at.
        """
        folder, _, partial = prefix.rpartition("/")
        segments: list[str] = []
        if folder or prefix.startswith("/"):
            segments = folder.split("/")
            if any(_segment_problem(s) is not None for s in segments):
                return
        if "\x00" in partial:
            return
        base = os.path.join(self._root, *segments)
        base_key = "".join(s + "/" for s in segments)
        yield from self._walk(base, base_key, partial, prefix)

    # -- helpers --------------------------------------------------------------------------------

    def _walk(
        self, directory: str, key_prefix: str, name_prefix: str, prefix: str
    ) -> Iterator[str]:
        try:
            with os.scandir(directory) as entries:
                found: list[tuple[str, str, bool]] = []
                for entry in entries:
                    name = entry.name
                    if name.startswith(TEMP_PREFIX) or not name.startswith(name_prefix):
                        continue
                    try:
                        if entry.is_dir():
                            found.append((name + "/", entry.path, True))
                        elif entry.is_file():
                            found.append((name, entry.path, False))
                    except OSError:
                        continue
        except (FileNotFoundError, NotADirectoryError):
            return
        except OSError as exc:
            raise StoreError(f"cannot list store prefix {prefix!r}: {exc}") from exc
        # Sorting folders as "name/" yields keys in exact string order ('-' < '/' < '0' ...).
        found.sort()
        for sort_name, path, is_dir in found:
            if is_dir:
                yield from self._walk(path, key_prefix + sort_name, "", prefix)
            else:
                yield key_prefix + sort_name

    def _write_temp(self, key: str, path: str, data: bytes, *, sync: bool = True) -> str:
        """Write `data` to a new temp file beside `path` (synced when `sync`); its name.

        The lean path of a tiny shard's writes (issue 13): the folder is created only when the
        exclusive create says it is missing (not one mkdir and two stats per write), the bytes
        go out with os.write (no file object), and the temp name comes from a per-process
        counter (no random UUID per write)."""
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"store data for key {key!r} must be bytes, not {type(data).__name__}")
        directory = os.path.dirname(path)
        while True:
            tmp = os.path.join(directory, _temp_name())
            try:
                fd = _open_exclusive(tmp)
                break
            except FileExistsError:
                continue  # a name left by a process with our pid and token: take the next one
            except OSError as exc:
                raise StoreError(f"cannot write store key {key!r}: {_describe(exc)}") from exc
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
                if self._fsync and sync:
                    os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            _unlink_quietly(tmp)
            raise StoreError(f"cannot write store key {key!r}: {_describe(exc)}") from exc
        return tmp


def _lexists(path: str) -> bool:
    """`os.path.lexists` (a dangling symlink exists too) without raising and catching an
    exception when the path is missing, the common answer (issue 13)."""
    return os.access(path, os.F_OK, follow_symlinks=False)


if os.access not in os.supports_follow_symlinks:
    _lexists = os.path.lexists  # no faccessat with AT_SYMLINK_NOFOLLOW here

_EXCLUSIVE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def _open_exclusive(name: str) -> int:
    """Create `name` exclusively (FileExistsError when it exists); its folders are created
    when missing, and only then, so the common case is one system call."""
    try:
        return os.open(name, _EXCLUSIVE, 0o666)
    except FileNotFoundError:
        _make_folder(os.path.dirname(name))
        return os.open(name, _EXCLUSIVE, 0o666)


def _make_folder(folder: str) -> None:
    """Create a missing folder of a key, with its parents."""
    try:
        os.makedirs(folder, exist_ok=True)
    except FileExistsError as exc:  # not a name clash: a key's file where a folder must be
        raise NotADirectoryError(errno.ENOTDIR, "a key's file has that folder's path") from exc


_UNNAMED = getattr(os, "O_TMPFILE", 0) | os.O_WRONLY | getattr(os, "O_CLOEXEC", 0)
"""Flags of an unnamed new file (`LocalObjectStore._new_file`)."""

_NO_UNNAMED_FILES = frozenset(
    code
    for code in (
        getattr(errno, "EOPNOTSUPP", None),  # the file system has no O_TMPFILE
        getattr(errno, "ENOTSUP", None),
        errno.EISDIR,  # a kernel before 3.11 (O_TMPFILE read as O_DIRECTORY)
        errno.EINVAL,
    )
    if code is not None
)
"""errno values of an open(O_TMPFILE) that mean "no unnamed files here", not a failure."""

_NewFile = int | str
"""A file `LocalObjectStore._new_file` wrote: the descriptor of an unnamed file, or the path
of a named temp file."""

_READ = os.O_RDONLY | getattr(os, "O_CLOEXEC", 0)

_UNNAMED_POSSIBLE: list[bool] = []


def _unnamed_files_possible() -> bool:
    """Whether unnamed files can be tried at all (looked up once per process): Linux's
    O_TMPFILE, and /proc/self/fd, through which an unnamed file is given its name."""
    if not _UNNAMED_POSSIBLE:
        _UNNAMED_POSSIBLE.append(
            sys.platform == "linux"
            and hasattr(os, "O_TMPFILE")
            and _PLAIN_SEPARATORS
            and os.path.isdir("/proc/self/fd")
        )
    return _UNNAMED_POSSIBLE[0]


def _fill(key: str, fd: int, data: bytes, *, sync: bool) -> None:
    """Write `data` to the unnamed file `fd` (and fsync it when `sync`); on failure the file
    is closed, which frees it (an unnamed file leaves nothing behind), and StoreError names
    the key."""
    try:
        written = os.write(fd, data)
        if written < (len(data) if isinstance(data, bytes) else memoryview(data).nbytes):
            view = memoryview(data).cast("B")[written:]  # a short write: write the rest
            while view:
                view = view[os.write(fd, view) :]
        if sync:
            os.fsync(fd)
    except OSError as exc:
        os.close(fd)
        raise StoreError(f"cannot write store key {key!r}: {_describe(exc)}") from exc


def _link_unnamed(key: str, path: str, fd: int) -> None:
    """Give the unnamed file `fd` its name, create-if-absent (linkat fails when the key
    exists), then close it: a partial file is never visible, as with a named temp file.

    The name comes through /proc/self/fd/N (open(2), O_TMPFILE): CPython calls linkat, with
    AT_SYMLINK_FOLLOW to reach the file behind that link, only when a folder descriptor is
    given, and the kernel ignores it for an absolute path; `fd` itself serves."""
    try:
        _link_new(key, path, f"/proc/self/fd/{fd}", src_dir_fd=fd, follow_symlinks=True)
    finally:
        os.close(fd)


def _link_new(
    key: str, path: str, source: str, *, follow_symlinks: bool, src_dir_fd: int | None = None
) -> None:
    """`os.link(source, path)` as a create-if-absent write of `key`: a taken key is
    `_key_taken`, any other refusal a StoreError that says hard links are needed."""
    try:
        os.link(source, path, src_dir_fd=src_dir_fd, follow_symlinks=follow_symlinks)
    except FileExistsError as exc:
        raise _key_taken(key, path) from exc
    except OSError as exc:
        raise StoreError(
            f"cannot create store key {key!r} (the local store needs hard links for "
            f"create-if-absent writes): {_describe(exc)}"
        ) from exc


def _read_all(fd: int, size: int) -> bytes:
    """The whole file `fd` of `size` bytes (as its fstat said): usually one read. Published
    files are never changed in place, but a read is only taken as the end when it came up
    short of what was asked (or returned nothing)."""
    data = os.read(fd, size + 1)
    if len(data) <= size and (len(data) == size or not data):
        return data  # a short read: the end of the file
    chunks = [data]
    while chunk := os.read(fd, 1 << 16):
        chunks.append(chunk)
    return b"".join(chunks)


_TEMP_STATE: list[tuple[int, str, Iterator[int]]] = []
_TEMP_LOCK = threading.Lock()


def _temp_name() -> str:
    """A temp file name unique to this process: its pid, a random token drawn once per
    process (again after a fork, whose child has a new pid) and a counter. Exclusive creates
    still decide: a clash (a pid reused with the same token) only moves on to the next."""
    pid = os.getpid()
    state = _TEMP_STATE[0] if _TEMP_STATE else None
    if state is None or state[0] != pid:
        with _TEMP_LOCK:
            if not _TEMP_STATE or _TEMP_STATE[0][0] != pid:
                _TEMP_STATE[:] = [(pid, uuid.uuid4().hex[:12], itertools.count())]
            state = _TEMP_STATE[0]
    return f"{TEMP_PREFIX}{pid:x}-{state[1]}-{next(state[2]):x}"


class CommitGroup:
    """The writes of one `LocalObjectStore.group_commit()` block, made durable together."""

    def __init__(self, store: LocalObjectStore) -> None:
        self._store = store
        self._pending: list[str] = []  # published files not yet fsynced

    def defer(self, path: str) -> None:
        """Note a write published in this group whose data is not yet durable."""
        self._pending.append(path)

    def commit_if_absent(
        self, key: str, data: bytes, content_type: str = "application/octet-stream"
    ) -> None:
        """Write `key` create-if-absent as the group's commit point: its data and every write of
        the group before it are made durable together, and only then is it published (raises
        AlreadyExists when the key exists, like `put_if_absent`)."""
        store = self._store
        directory, path = store._where(key)
        batch = store._batch()
        if batch is not None:
            if _lexists(path):  # decided now, as without a batch
                raise _key_taken(key, path)
            if batch.held >= _held_limit():  # an open descriptor each: named beyond that
                tmp: _NewFile = store._write_temp(key, path, data, sync=False)
            else:
                tmp = store._new_file(key, directory, path, data, sync=False)
            batch.commit_later(key, path, tmp, self._take_pending(), exclusive=True)
            return
        self._publish(key, path, store._new_file(key, directory, path, data, sync=False))

    def commit(self, key: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """As `commit_if_absent`, but publishing with an atomic overwrite (like `put`)."""
        store = self._store
        path = store._file_of(key)
        tmp = store._write_temp(key, path, data, sync=False)  # a named file: rename replaces
        batch = store._batch()
        if batch is not None:
            batch.commit_later(key, path, tmp, self._take_pending(), exclusive=False)
            return
        self._publish(key, path, tmp, exclusive=False)

    def _publish(self, key: str, path: str, tmp: _NewFile, *, exclusive: bool = True) -> None:
        """Publish a commit object written to `tmp` (outside a durability batch): after the
        group's writes and it are durable, as `key` (create-if-absent when `exclusive`, else
        an atomic overwrite of the named temp file `tmp`)."""
        store = self._store
        try:
            self._sync_all(key, [tmp])
        except StoreError:
            _discard(tmp)
            raise
        if exclusive:
            store._publish_new(key, path, tmp)
        else:
            assert isinstance(tmp, str)
            store._replace(key, path, tmp)

    def sync(self) -> None:
        """Make every write of the group so far durable (one journal commit for all); inside a
        durability batch, hand them to the batch's barrier instead."""
        batch = self._store._batch()
        if batch is not None:
            for path in self._take_pending():
                batch.defer(path)
            return
        self._sync_all(None, [])

    def _take_pending(self) -> list[str]:
        pending = list(self._pending)
        self._pending.clear()
        return pending

    def _sync_all(self, key: str | None, extra: list[_NewFile]) -> None:
        if not self._store._fsync:
            self._pending.clear()
            return
        # The first fsync commits the journal with every dirty file of the group in it (ext4's
        # ordered mode writes their data first); the others then find nothing left to write.
        targets: list[_NewFile] = [*self._pending, *extra]
        what = f"store key {key!r}" if key is not None else "the group's writes"
        for target in targets:
            _fsync_target(target, what)
        self._pending.clear()


MAX_HELD_FILES = 1024
"""Unnamed commit objects a durability batch holds open at most (one descriptor each, until
its barrier), and never more than a quarter of the process's descriptor limit; later commits
of the batch are written to named temp files."""

_FD_QUARTER: list[int] = []


def _held_limit() -> int:
    """`MAX_HELD_FILES`, or a quarter of RLIMIT_NOFILE's soft limit when that is lower (read
    once per process), so held commits never starve the process of descriptors."""
    if not _FD_QUARTER:
        quarter = MAX_HELD_FILES
        try:
            import resource

            soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            if soft != resource.RLIM_INFINITY:
                quarter = max(0, soft // 4)
        except (ImportError, OSError, ValueError):
            pass
        _FD_QUARTER.append(quarter)
    return min(MAX_HELD_FILES, _FD_QUARTER[0])


class DurabilityBatch:
    """The group commits of one `LocalObjectStore.durability_batch()` block: one barrier for
    all of them, then their commit objects published in order (see the module docstring)."""

    def __init__(self, store: LocalObjectStore) -> None:
        self._store = store
        self._pending: list[str] = []  # published files whose data is not yet durable
        # (owner, key, path, temp file, create-if-absent) of the commits waiting for the
        # barrier; the temp file is an unnamed file's descriptor or a named file's path
        self._commits: list[tuple[int, str, str, _NewFile, bool]] = []
        self._callbacks: list[tuple[int, Callable[[], object]]] = []
        self.owner = 0
        """Whose writes come next (the caller numbers its attempts); `problems` uses it."""
        self.problems: dict[int, StoreError] = {}
        """owner -> why one of its commits was not made durable or not published."""
        self.held = 0
        """Unnamed commit objects held open (see `MAX_HELD_FILES`)."""
        self._unflushed = 0  # files written since the last early flush started
        self._early: Future[None] | None = None  # the early flush in flight, if any

    def defer(self, path: str) -> None:
        self._pending.append(path)
        self._written(1)

    def commit_later(
        self, key: str, path: str, tmp: _NewFile, pending: list[str], *, exclusive: bool
    ) -> None:
        self._pending.extend(pending)
        self._commits.append((self.owner, key, path, tmp, exclusive))
        if isinstance(tmp, int):
            self.held += 1
        self._written(len(pending) + 1)

    def _written(self, files: int) -> None:
        """Start an early flush once `EARLY_FLUSH_FILES` files wait and none is in flight: the
        file system writes them back while the caller goes on computing, so the barrier at
        the end finds little left to write (it still syncs everything: durability rests on
        it alone). Only where the barrier is a syncfs, whose early call costs about 1 ms of
        CPU; a file-by-file fsync would pay each file twice."""
        self._unflushed += files
        if self._unflushed < EARLY_FLUSH_FILES or not self._store._fsync:
            return
        if self._early is not None and not self._early.done():
            return
        if _syncfs_function() is None:
            return
        self._unflushed = 0
        # a commit's temp file is in its key's folder: the same file system
        names = [*self._pending, *(c[2] for c in self._commits)]
        self._early = _barrier_pool().submit(_flush_early, names)

    def after(self, callback: Callable[[], object]) -> None:
        self._callbacks.append((self.owner, callback))

    def finish(self) -> None:
        """The barrier, then the commits published in order, then the callbacks (whose own
        deferred writes get a last barrier). Never raises: problems go to `problems`."""
        if self._early is not None:
            self._early.result()  # never raises (see _flush_early); the barrier follows it
            self._early = None
        store = self._store
        while self._pending or self._commits or self._callbacks:
            commits, self._commits = self._commits, []
            try:
                self._barrier(commits)
            except StoreError as exc:
                for owner, _key, _path, tmp, _exclusive in commits:
                    self.problems.setdefault(owner, exc)
                    _discard(tmp)
                commits = []
            self._pending.clear()
            for owner, key, path, tmp, exclusive in commits:
                try:
                    if exclusive:
                        store._publish_new(key, path, tmp)
                    else:
                        assert isinstance(tmp, str)
                        store._replace(key, path, tmp)
                except AlreadyExists:
                    continue  # a duplicate delivery in this batch committed the shard first
                except StoreError as exc:
                    self.problems.setdefault(owner, exc)
            self.held = 0
            callbacks, self._callbacks = self._callbacks, []
            for owner, callback in callbacks:
                self.owner = owner
                try:
                    callback()
                except Exception:  # the commit stands; the callback's failure is its own
                    logger.exception("work after a commit of the store's batch failed")

    def abandon(self) -> None:
        """The block raised: its commits are dropped (their temp files removed), nothing else
        is published; what was published stays an uncommitted orphan, as after a SIGKILL."""
        for _owner, _key, _path, tmp, _exclusive in self._commits:
            _discard(tmp)
        self._commits.clear()
        self._callbacks.clear()
        self._pending.clear()
        self.held = 0

    def _barrier(self, commits: list[tuple[int, str, str, _NewFile, bool]]) -> None:
        """Make the pending files and the commit objects of `commits` durable."""
        if not self._store._fsync or not (self._pending or commits):
            return
        files = len(self._pending) + len(commits)
        # a commit's temp file is in its key's folder: the same file system
        if files >= SYNCFS_MIN_FILES and _sync_file_systems(
            [*self._pending, *(c[2] for c in commits)]
        ):
            return
        targets: list[_NewFile] = [*self._pending, *(c[3] for c in commits)]
        if files <= 2:
            for target in targets:
                _fsync_target(target)
            return
        for _ in _barrier_pool().map(_fsync_target, targets):
            pass


def _sync_file_systems(names: list[str]) -> bool:
    """Make `names` durable with one `syncfs` per file system they are on (their folders' file
    systems: a file and its folder share one). False when syncfs cannot be trusted here (not
    Linux, a kernel before 5.8, which did not report write-back errors through it, or no libc
    symbol): the caller fsyncs each file instead. A failure raises StoreError, as an fsync's."""
    syncfs = _syncfs_function()
    if syncfs is None:
        return False
    folders: dict[int, str] = {}
    try:
        for folder in {os.path.dirname(name) for name in names}:
            try:
                folders.setdefault(os.stat(folder).st_dev, folder)
            except FileNotFoundError:
                continue  # removed since (a temp folder of ours): nothing left to make durable
        for folder in folders.values():
            fd = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
            try:
                syncfs(fd)
            finally:
                os.close(fd)
    except OSError as exc:
        raise StoreError(f"cannot make the batch's writes durable: {_describe(exc)}") from exc
    return True


EARLY_FLUSH_FILES = 64
"""Files a durability batch lets wait before it starts an early flush (see `_written`)."""


def _flush_early(names: list[str]) -> None:
    """An early flush: a head start for the barrier, so its failure is only logged (the
    barrier then meets the same problem and reports it)."""
    try:
        _sync_file_systems(names)
    except StoreError as exc:
        logger.debug("early flush failed (the barrier reports it): %s", exc)


_SYNCFS: list[Callable[[int], None] | None] = []


def _syncfs_function() -> Callable[[int], None] | None:
    """`syncfs(fd)` raising OSError on failure, or None where it cannot be trusted (looked up
    once per process; ctypes is imported only then)."""
    if not _SYNCFS:
        _SYNCFS.append(_load_syncfs())
    return _SYNCFS[0]


def _load_syncfs() -> Callable[[int], None] | None:
    if sys.platform != "linux":
        return None
    try:
        major, minor = (int(part) for part in os.uname().release.split(".")[:2])
    except ValueError:
        return None
    if (major, minor) < (5, 8):
        return None
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        function = libc.syncfs
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int]
    function.restype = ctypes.c_int

    def syncfs(fd: int) -> None:
        if function(fd) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))

    return syncfs


_BARRIER_POOL: list[ThreadPoolExecutor] = []
_BARRIER_LOCK = threading.Lock()


def _barrier_pool() -> ThreadPoolExecutor:
    """The process's fsync threads, started once (starting threads per barrier costs more than
    the barrier on a loaded machine)."""
    with _BARRIER_LOCK:
        if not _BARRIER_POOL:
            _BARRIER_POOL.append(
                ThreadPoolExecutor(max_workers=BARRIER_THREADS, thread_name_prefix="store-fsync")
            )
        return _BARRIER_POOL[0]


def _key_taken(key: str, path: str) -> StoreError:
    """Why a create-if-absent write of `key` cannot happen: a folder of other keys has its
    path (a local limitation), or the key already exists (AlreadyExists)."""
    if os.path.isdir(path):
        return StoreError(f"cannot write store key {key!r}: a folder of other keys has that path")
    return AlreadyExists(f"store key {key!r} already exists")


def _fsync_target(target: _NewFile, what: str = "the batch's writes") -> None:
    """fsync a file by path, or an unnamed file by its descriptor (see `_fsync_path`)."""
    if isinstance(target, str):
        _fsync_path(target, what)
        return
    try:
        os.fsync(target)
    except OSError as exc:
        raise StoreError(f"cannot make {what} durable: {_describe(exc)}") from exc


def _discard(tmp: _NewFile) -> None:
    """Drop a temp file that will not be published: close an unnamed one (which frees it),
    remove a named one."""
    if isinstance(tmp, int):
        with contextlib.suppress(OSError):
            os.close(tmp)
    else:
        _unlink_quietly(tmp)


def _fsync_path(name: str, what: str = "the batch's writes") -> None:
    """fsync one file by name; `what` names it in the error (a key, a group, a batch)."""
    try:
        fd = os.open(name, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except FileNotFoundError:
        return  # replaced or removed since: nothing of ours left to make durable
    except OSError as exc:
        raise StoreError(f"cannot make {what} durable: {_describe(exc)}") from exc


_ERRNO_HINTS: dict[int, str] = {
    errno.ENOSPC: "the store's file system is full: free space, then redrive the run",
    errno.EDQUOT: "the disk quota of the store is used up: free space, then redrive the run",
    errno.EROFS: "the store's file system is read-only",
    errno.EACCES: "permission denied: the store folder must be writable by this user",
    errno.EPERM: "operation not permitted in the store folder",
}


def _describe(exc: OSError) -> str:
    """An OS error as one line that says what to do (ENOSPC: the store's disk is full)."""
    reason = exc.strerror or str(exc)
    hint = _ERRNO_HINTS.get(exc.errno) if exc.errno is not None else None
    return f"{reason} ({hint})" if hint else reason


def _unlink_quietly(path: str) -> None:
    with contextlib.suppress(OSError):
        os.unlink(path)
