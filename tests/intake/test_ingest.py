"""Tests for grader.ingest: finding the submission's file and turning its bytes into text."""
from __future__ import annotations

import hashlib
import os
import socket
import stat
import struct
import zipfile
import zlib
from pathlib import Path

import pytest

from grader.errors import SubmissionError
from grader.intake.ingest import DEFAULT_MAX_BYTES, Source, ingest

STUB = "concat.py"
CODE = "import numpy as np\n\nx = 1\n"
NOTEBOOK = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}\n'


def make_zip(path: Path, members: dict[str, str | bytes], compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def refused(path: Path, stub: str = STUB, **kwargs: int) -> SubmissionError:
    with pytest.raises(SubmissionError) as info:
        ingest(path, stub, **kwargs)
    assert str(info.value) == info.value.message
    return info.value


# --- plain files -----------------------------------------------------------------------------

def test_python_file_is_read_as_text(tmp_path: Path) -> None:
    path = tmp_path / "concat.py"
    path.write_text(CODE, encoding="utf-8")
    source = ingest(path, STUB)
    assert source == Source(path=str(path), kind="python", text=CODE,
                            sha256=hashlib.sha256(CODE.encode()).hexdigest(), member=None, notes=())


def test_notebook_file_is_kind_notebook(tmp_path: Path) -> None:
    path = tmp_path / "Homework 1.IPYNB"
    path.write_text(NOTEBOOK, encoding="utf-8")
    source = ingest(path, STUB)
    assert source.kind == "notebook"
    assert source.text == NOTEBOOK
    assert source.member is None and source.notes == ()


def test_any_file_name_is_accepted_for_a_single_file(tmp_path: Path) -> None:
    path = tmp_path / "my_answer.py"
    path.write_text(CODE, encoding="utf-8")
    assert ingest(path, STUB).text == CODE


def test_utf8_bom_is_removed(tmp_path: Path) -> None:
    py = tmp_path / "a.py"
    py.write_bytes(b"\xef\xbb\xbf" + CODE.encode())
    nb = tmp_path / "a.ipynb"
    nb.write_bytes(b"\xef\xbb\xbf" + NOTEBOOK.encode())
    assert ingest(py, STUB).text == CODE
    assert ingest(nb, STUB).text == NOTEBOOK


def test_pep263_latin1_coding_line_is_honoured(tmp_path: Path) -> None:
    text = "# -*- coding: latin-1 -*-\nname = \"café\"\n"
    path = tmp_path / "concat.py"
    path.write_bytes(text.encode("latin-1"))
    source = ingest(path, STUB)
    assert source.text == text
    assert source.notes == ()
    assert source.sha256 == hashlib.sha256(text.encode("latin-1")).hexdigest()


def test_invalid_utf8_without_coding_line_is_replaced_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "concat.py"
    path.write_bytes(b'name = "caf\xe9"\nx = 1\n')
    source = ingest(path, STUB)
    assert source.text == 'name = "caf\ufffd"\nx = 1\n'
    assert len(source.notes) == 1
    note = source.notes[0]
    assert note.startswith("concat.py is not valid utf-8")
    assert note.endswith("; unreadable bytes were replaced with U+FFFD.")


def test_invalid_utf8_in_a_notebook_is_replaced_with_a_note(tmp_path: Path) -> None:
    path = tmp_path / "hw.ipynb"
    path.write_bytes(b'{"a": "caf\xe9"}')
    source = ingest(path, STUB)
    assert source.text == '{"a": "caf\ufffd"}'
    assert source.notes[0].startswith("hw.ipynb is not valid utf-8")


def test_unknown_coding_name_falls_back_to_utf8(tmp_path: Path) -> None:
    path = tmp_path / "concat.py"
    path.write_bytes("# coding: no-such-codec\nname = 'café'\n".encode())
    source = ingest(path, STUB)
    assert source.text == "# coding: no-such-codec\nname = 'café'\n"
    assert source.notes == ()


def test_missing_path_is_not_found(tmp_path: Path) -> None:
    path = tmp_path / "nothing.py"
    error = refused(path)
    assert error.kind == "not-found"
    assert error.message == f"No file or folder at {path}."


@pytest.mark.parametrize("name", ["notes.txt", "concat.pdf", "concat", "model.h5"])
def test_unsupported_extension_is_file_type(tmp_path: Path, name: str) -> None:
    path = tmp_path / name
    path.write_text("x = 1\n")
    error = refused(path)
    assert error.kind == "file-type"
    assert error.message == f"{name} is not a .py, .ipynb or .zip file; submit your concat.py or its notebook."


@pytest.mark.parametrize("data", [b"", b"   \n\n\t\n"])
def test_empty_file(tmp_path: Path, data: bytes) -> None:
    path = tmp_path / "concat.py"
    path.write_bytes(data)
    error = refused(path)
    assert error.kind == "empty"
    assert error.message == "concat.py is empty; write your solution in it and submit again."


def test_nul_bytes_are_binary(tmp_path: Path) -> None:
    path = tmp_path / "concat.py"
    path.write_bytes(b"x = 1\n\0\0\0y = 2\n")
    error = refused(path)
    assert error.kind == "binary"
    assert error.message == "concat.py is not a text file (it holds binary data); submit the .py or .ipynb itself."


def test_random_bytes_are_binary(tmp_path: Path) -> None:
    path = tmp_path / "concat.ipynb"
    path.write_bytes(bytes(range(128, 256)) * 20)  # no NUL, not UTF-8
    error = refused(path)
    assert error.kind == "binary"
    assert error.message == "concat.ipynb is not a text file (it is mostly unreadable bytes)."


def test_control_characters_are_binary(tmp_path: Path) -> None:
    path = tmp_path / "concat.py"
    path.write_bytes(bytes(range(1, 9)) * 50)
    assert refused(path).kind == "binary"


def test_a_few_bad_bytes_in_real_code_are_not_binary(tmp_path: Path) -> None:
    path = tmp_path / "concat.py"
    path.write_bytes(b"# caf\xe9\n" + CODE.encode() * 5)
    source = ingest(path, STUB)
    assert source.text.startswith("# caf\ufffd\n")


def test_file_over_max_bytes_is_too_large(tmp_path: Path) -> None:
    path = tmp_path / "concat.py"
    path.write_bytes(b"#" * 2_500_001)
    error = refused(path, max_bytes=2_000_000)
    assert error.kind == "too-large"
    assert error.message == ("concat.py is 2.5 MB, over the 2.0 MB limit; clear notebook outputs "
                             "(Cell > All Output > Clear) and remove data files.")


def test_file_at_exactly_max_bytes_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "concat.py"
    path.write_bytes(b"#" * 99 + b"\n")
    assert len(ingest(path, STUB, max_bytes=100).text) == 100


def test_default_limit_is_five_mebibytes(tmp_path: Path) -> None:
    assert DEFAULT_MAX_BYTES == 5 * 1024 * 1024
    path = tmp_path / "concat.ipynb"
    path.write_bytes(b"#" * 6_000_000)
    error = refused(path)
    assert error.kind == "too-large"
    assert error.message.startswith("concat.ipynb is 6.0 MB, over the 5.2 MB limit;")


# --- zips ------------------------------------------------------------------------------------

def test_zip_finds_the_stub_by_name(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "sub.zip", {"hw/helpers.py": "h = 1\n", "hw/concat.py": CODE, "hw/notes.md": "# hi"})
    source = ingest(path, STUB)
    assert source.path == str(path)
    assert source.member == "hw/concat.py"
    assert source.kind == "python"
    assert source.text == CODE
    assert source.sha256 == hashlib.sha256(CODE.encode()).hexdigest()


def test_zip_finds_the_stubs_notebook_by_name(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "sub.zip", {"helpers.py": "h = 1\n", "concat.ipynb": NOTEBOOK})
    source = ingest(path, STUB)
    assert source.member == "concat.ipynb" and source.kind == "notebook"


def test_zip_prefers_the_py_stub_over_the_notebook(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "sub.zip", {"concat.ipynb": NOTEBOOK, "concat.py": CODE})
    assert ingest(path, STUB).member == "concat.py"


def test_zip_takes_the_only_code_file_whatever_its_name(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "sub.zip", {"readme.txt": "hello", "data.csv": "1,2", "deep/er/mine.py": CODE})
    source = ingest(path, STUB)
    assert source.member == "deep/er/mine.py" and source.text == CODE


def test_zip_ignores_macosx_and_hidden_files(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "sub.zip", {
        "__MACOSX/hw/._mine.py": b"\0\x05\x16\x07 resource fork",
        "hw/.hidden.py": "secret = 1\n",
        ".git/hooks/pre-commit.py": "x = 1\n",
        "hw/.ipynb_checkpoints/mine-checkpoint.ipynb": NOTEBOOK,
        "hw/__pycache__/mine.cpython-311.py": "x = 1\n",
        "hw/mine.py": CODE,
    })
    source = ingest(path, STUB)
    assert source.member == "hw/mine.py" and source.text == CODE


def test_zip_with_several_code_files_and_no_stub_is_ambiguous(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "sub.zip", {"a.py": "x = 1\n", "b.ipynb": NOTEBOOK})
    error = refused(path)
    assert error.kind == "ambiguous"
    assert error.message == ("The zip sub.zip holds several code files (a.py, b.ipynb) and none is named concat.py; "
                             "rename yours to concat.py.")


def test_zip_with_two_stubs_in_different_folders_is_ambiguous(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "sub.zip", {"v1/concat.py": "x = 1\n", "v2/concat.py": "x = 2\n"})
    error = refused(path)
    assert error.kind == "ambiguous"
    assert "(v1/concat.py, v2/concat.py)" in error.message


def test_zip_without_code_is_not_found(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "sub.zip", {"readme.txt": "hi", "__MACOSX/._concat.py": "junk"})
    error = refused(path)
    assert error.kind == "not-found"
    assert error.message == "The zip sub.zip holds no .py or .ipynb file; expected concat.py."


@pytest.mark.parametrize("member", ["../concat.py", "hw/../../concat.py", "/etc/concat.py", "C:/concat.py",
                                    "..\\concat.py", "C:\\Users\\me\\concat.py"])
def test_zip_with_unsafe_member_is_refused(tmp_path: Path, member: str) -> None:
    path = tmp_path / "sub.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("concat.py", CODE)
        archive.writestr(zipfile.ZipInfo(member), "x = 1\n")  # ZipInfo keeps the name as given
    error = refused(path)
    assert error.kind == "zip"
    assert error.message == f"sub.zip contains an unsafe path {member!r}; zip your files again."
    assert not (tmp_path.parent / "concat.py").exists()


def test_bad_zip(tmp_path: Path) -> None:
    path = tmp_path / "sub.zip"
    path.write_bytes(b"PK\x03\x04 this is not really a zip")
    error = refused(path)
    assert error.kind == "zip"
    assert error.message == "sub.zip is not a readable zip file (File is not a zip file)."


def test_zip_member_over_max_bytes_is_too_large(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "sub.zip", {"concat.py": "#" * 3_000_000})  # compresses to a few KB
    assert path.stat().st_size < 100_000
    error = refused(path, max_bytes=1_000_000)
    assert error.kind == "too-large"
    assert error.message.startswith("concat.py is 3.0 MB, over the 1.0 MB limit;")


def test_zip_file_itself_far_over_the_limit_is_too_large(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "sub.zip", {"concat.py": CODE, "data.bin": bytes(range(256)) * 2000},
                    compression=zipfile.ZIP_STORED)
    error = refused(path, max_bytes=100_000)  # the zip may be 4x the limit, no more
    assert error.kind == "too-large"
    assert error.message.startswith("sub.zip is 0.5 MB, over the 0.4 MB limit;")


def forge_declared_size(path: Path, declared: bytes, crc_of: bytes) -> None:
    """Rewrite a stored zip's single member so its headers declare `len(declared)` bytes."""
    raw = bytearray(path.read_bytes())
    local, central = raw.find(b"PK\x03\x04"), raw.find(b"PK\x01\x02")
    for offset in (local + 22, central + 24):  # uncompressed size
        struct.pack_into("<I", raw, offset, len(declared))
    for offset in (local + 14, central + 16):  # CRC-32
        struct.pack_into("<I", raw, offset, zlib.crc32(crc_of))
    path.write_bytes(bytes(raw))


def test_zip_member_that_lies_about_its_size_is_refused(tmp_path: Path) -> None:
    real = b"x = 1\n" + b"#" * 5000
    path = make_zip(tmp_path / "sub.zip", {"concat.py": real}, compression=zipfile.ZIP_STORED)
    forge_declared_size(path, b"x = 1\n", crc_of=real)
    error = refused(path, max_bytes=2000)
    assert error.kind == "zip"
    assert error.message == "concat.py in sub.zip could not be read (Bad CRC-32 for file 'concat.py')."


def test_zip_member_that_lies_about_its_size_never_yields_more_than_declared(tmp_path: Path) -> None:
    real = b"x = 1\n" + b"#" * 5000
    path = make_zip(tmp_path / "sub.zip", {"concat.py": real}, compression=zipfile.ZIP_STORED)
    forge_declared_size(path, b"x = 1\n", crc_of=b"x = 1\n")
    source = ingest(path, STUB, max_bytes=2000)
    assert source.text == "x = 1\n"


def test_zip_member_that_is_empty(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "sub.zip", {"concat.py": ""})
    error = refused(path)
    assert error.kind == "empty"
    assert error.message == "concat.py is empty; write your solution in it and submit again."


def test_zip_member_that_is_binary(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "sub.zip", {"concat.py": b"\0\1\2\3" * 100})
    assert refused(path).kind == "binary"


def test_zip_suffix_is_case_insensitive(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "SUB.ZIP", {"concat.py": CODE})
    assert ingest(path, STUB).member == "concat.py"


# --- folders of one student ------------------------------------------------------------------

def test_folder_with_a_nested_stub(tmp_path: Path) -> None:
    folder = tmp_path / "alice"
    (folder / "work" / "final").mkdir(parents=True)
    (folder / "work" / "final" / "concat.py").write_text(CODE)
    (folder / "work" / "helpers.py").write_text("h = 1\n")
    (folder / "data.csv").write_text("1,2\n")
    source = ingest(folder, STUB)
    assert source.path == str(folder)
    assert source.member == "work/final/concat.py"
    assert source.kind == "python" and source.text == CODE


def test_folder_with_one_code_file_of_any_name(tmp_path: Path) -> None:
    folder = tmp_path / "bob"
    (folder / ".ipynb_checkpoints").mkdir(parents=True)
    (folder / ".ipynb_checkpoints" / "mine-checkpoint.ipynb").write_text(NOTEBOOK)
    (folder / "mine.ipynb").write_text(NOTEBOOK)
    (folder / "README.md").write_text("hi")
    source = ingest(folder, STUB)
    assert source.member == "mine.ipynb" and source.kind == "notebook"


def test_folder_with_several_code_files_is_ambiguous_and_names_the_stub(tmp_path: Path) -> None:
    folder = tmp_path / "carol"
    (folder / "sub").mkdir(parents=True)
    (folder / "b.ipynb").write_text(NOTEBOOK)
    (folder / "sub" / "a.py").write_text("x = 1\n")
    error = refused(folder)
    assert error.kind == "ambiguous"
    assert error.message == ("The folder carol holds several code files (b.ipynb, sub/a.py) and none is named "
                             "concat.py; rename yours to concat.py.")


def test_folder_lists_at_most_five_candidates(tmp_path: Path) -> None:
    folder = tmp_path / "dave"
    folder.mkdir()
    for i in range(7):
        (folder / f"f{i}.py").write_text("x = 1\n")
    error = refused(folder)
    assert "(f0.py, f1.py, f2.py, f3.py, f4.py)" in error.message


def test_folder_without_code_is_not_found(tmp_path: Path) -> None:
    folder = tmp_path / "erin"
    folder.mkdir()
    (folder / "notes.txt").write_text("hi")
    error = refused(folder)
    assert error.kind == "not-found"
    assert error.message == "The folder erin holds no .py or .ipynb file; expected concat.py."


def test_folder_holding_only_a_zip_reads_the_zip_inside(tmp_path: Path) -> None:
    # LMS downloads often give one folder per student holding the zip they uploaded;
    # ingest's _from_folder has a branch for exactly this case.
    folder = tmp_path / "frank"
    folder.mkdir()
    make_zip(folder / "upload.zip", {"concat.py": CODE})
    source = ingest(folder, STUB)
    assert source.text == CODE


def test_folder_file_over_the_limit_is_too_large(tmp_path: Path) -> None:
    folder = tmp_path / "gina"
    folder.mkdir()
    (folder / "concat.py").write_bytes(b"#" * 300)
    error = refused(folder, max_bytes=200)
    assert error.kind == "too-large"
    assert error.message.startswith("concat.py is ")


# --- text as editors write it ------------------------------------------------------------------

@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-32-le", "utf-32-be"])
def test_utf16_and_utf32_with_a_byte_order_mark_are_decoded(tmp_path: Path, encoding: str) -> None:
    import codecs

    boms = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE,
            "utf-32-le": codecs.BOM_UTF32_LE, "utf-32-be": codecs.BOM_UTF32_BE}
    path = tmp_path / "concat.py"
    text = "import numpy as np\r\nname = 'héllo ✓'\r\n"
    path.write_bytes(boms.get(encoding, b"") + text.encode(encoding))  # plain utf-16/32 write their own BOM
    source = ingest(path, STUB)
    assert source.text == text
    family = encoding[:6].upper()
    assert source.notes == (f"concat.py is saved as {family}; it was read as such (UTF-8 is the usual encoding "
                            "for code).",)


def test_utf16_without_a_byte_order_mark_is_still_binary(tmp_path: Path) -> None:
    path = tmp_path / "concat.py"
    path.write_bytes("import numpy as np\n".encode("utf-16-le"))
    error = refused(path)
    assert error.kind == "binary"


def test_utf16_file_holding_nul_characters_is_binary(tmp_path: Path) -> None:
    path = tmp_path / "concat.py"
    path.write_bytes("x = 1\n\0\0\0".encode("utf-16"))
    assert refused(path).kind == "binary"


def test_zip_member_name_marked_utf8_but_not_is_a_clear_student_error(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "sub.zip", {"concat.py": CODE})
    data = bytearray(path.read_bytes())
    for header in (b"PK\x03\x04", b"PK\x01\x02"):  # set the UTF-8 flag and break the name's bytes
        at = data.find(header)
        flags_at = at + (6 if header == b"PK\x03\x04" else 8)
        struct.pack_into("<H", data, flags_at, struct.unpack_from("<H", data, flags_at)[0] | 0x800)
        name_at = data.find(b"concat.py", at)
        data[name_at] = 0xFF
    path.write_bytes(bytes(data))
    error = refused(path)
    assert error.kind == "zip"
    assert error.message.startswith("sub.zip has a file whose name is not valid text")


def test_zip_keeps_the_other_code_files_for_run(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "sub.zip", {"hw/concat.ipynb": NOTEBOOK, "hw/helpers.py": "A = 1\n",
                                           "hw/lib/more.py": "B = 2\n", "other/x.py": "C = 3\n",
                                           "__MACOSX/hw/._helpers.py": "junk"})
    source = ingest(path, STUB)
    assert source.member == "hw/concat.ipynb"
    assert dict(source.files) == {"helpers.py": "A = 1\n", "lib/more.py": "B = 2\n", "other/x.py": "C = 3\n"}


def test_folder_keeps_the_other_code_files_within_the_limit(tmp_path: Path) -> None:
    (tmp_path / "concat.ipynb").write_text(NOTEBOOK)
    (tmp_path / "helpers.py").write_text("A = 1\n")
    (tmp_path / "huge.py").write_bytes(b"#" * 300)
    source = ingest(tmp_path, STUB, max_bytes=200)
    assert dict(source.files) == {"helpers.py": "A = 1\n"}


# --- links, pipes, sockets and devices: never followed, never opened --------------------------

SECRET = "root:$6$instructor-only-secret:19000:0:99999:7:::\n"


def make_special(path: Path, kind: str, target: Path) -> None:
    """`kind` at `path`: a link to `target` (a file that is not the student's), a FIFO, a socket or a device."""
    if kind == "link":
        path.symlink_to(target)
    elif kind == "fifo":
        os.mkfifo(path)
    elif kind == "socket":
        with socket.socket(socket.AF_UNIX) as server:
            server.bind(os.path.relpath(path))  # relative: socket paths are short
    else:
        os.mknod(path, 0o644 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero: endless bytes if ever read


SPECIAL_KINDS = ["link", "fifo", "socket"] + (["device"] if os.geteuid() == 0 else [])  # mknod needs root
WORDS = {"link": "a symbolic link", "fifo": "a named pipe (FIFO)", "socket": "a socket", "device": "a device"}


@pytest.fixture
def secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "shadow"
    path.write_text(SECRET)
    return path


@pytest.mark.parametrize("kind", SPECIAL_KINDS)
def test_a_special_entry_is_refused_as_what_it_is_and_never_read(tmp_path: Path, secret: Path, kind: str) -> None:
    path = tmp_path / "concat.py"
    make_special(path, kind, secret)
    error = refused(path)
    assert error.kind == "not-a-file"
    assert error.message.startswith(f"concat.py is {WORDS[kind]}, not a file.")
    assert "root:" not in error.message and "instructor-only" not in error.message


@pytest.mark.parametrize("kind", SPECIAL_KINDS)
def test_a_special_file_in_a_folder_is_refused_when_it_is_the_submission(tmp_path: Path, secret: Path,
                                                                        kind: str) -> None:
    folder = tmp_path / "mallory"
    (folder / "work").mkdir(parents=True)
    make_special(folder / "work" / "concat.py", kind, secret)
    (folder / "helpers.py").write_text("h = 1\n")
    error = refused(folder)
    assert error.kind == "not-a-file"
    assert error.message.startswith(f"work/concat.py in the folder mallory is {WORDS[kind]}, not a file.")
    assert "instructor-only" not in error.message


@pytest.mark.parametrize("kind", SPECIAL_KINDS)
def test_other_special_entries_of_a_folder_are_skipped_and_named_in_the_notes(tmp_path: Path, secret: Path,
                                                                             kind: str) -> None:
    folder = tmp_path / "alice"
    folder.mkdir()
    (folder / "concat.py").write_text(CODE)
    make_special(folder / "helpers.py", kind, secret)  # a code file beside it: %run would read it
    source = ingest(folder, STUB)
    assert source.text == CODE and source.files == ()
    assert source.notes == (f"Skipped in alice, not read: helpers.py ({WORDS[kind]}). The grader reads only the "
                            "plain files of a submission.",)


def test_a_linked_folder_inside_a_submission_is_not_entered(tmp_path: Path, secret: Path) -> None:
    outside = tmp_path / "course" / "hidden"
    outside.mkdir(parents=True)
    (outside / "concat.py").write_text("def test_hidden_secret_case(): pass\n")
    folder = tmp_path / "bob"
    folder.mkdir()
    (folder / "work").symlink_to(outside, target_is_directory=True)
    error = refused(folder)
    assert error.kind == "not-found"  # work/concat.py was never seen
    assert "hidden_secret" not in error.message


def test_a_linked_member_of_a_zip_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "sub.zip"
    with zipfile.ZipFile(path, "w") as archive:
        link = zipfile.ZipInfo("concat.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16  # what `zip --symlinks` stores
        archive.writestr(link, "/etc/shadow")
    error = refused(path)
    assert error.kind == "not-a-file"
    assert error.message.startswith("concat.py in sub.zip is a symbolic link, not a file.")


def test_a_linked_side_file_in_a_zip_is_not_read(tmp_path: Path) -> None:
    path = tmp_path / "sub.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("concat.py", CODE)
        link = zipfile.ZipInfo("helpers.py")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        archive.writestr(link, "/etc/shadow")
    assert ingest(path, STUB).files == ()
