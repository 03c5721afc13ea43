"""Bad bytes and bad templates in study and family files: one line naming the file, never a traceback."""

import shutil
from pathlib import Path

import pytest

from beyond_episode.ablations.study import load_study
from beyond_episode.cli import main
from beyond_episode.errors import BepError
from beyond_episode.prompts.family import load_family

SHIPPED_STUDY = load_study("sandbagging_b6").path
SHIPPED_FAMILY = load_family("sandbagging_qa").path

BAD_BYTES = {
    "binary": b"study: x\n\x00\x01\x02\x03junk\xff\xfe\x80\x81\x02\x03\x04\x05",
    "latin1": "study: caf\u00e9\n".encode("latin-1"),
    "utf16_bom": "study: x\nfamily: sandbagging_qa\n".encode("utf-16"),
    "utf16_no_bom": "study: x\nfamily: sandbagging_qa\n".encode("utf-16-le"),
    "control_chars": b"study: x\n\x01\x02\n",
}


def _one_line_cli(capsys: pytest.CaptureFixture[str], argv: list[str], code: int) -> str:
    assert main(argv) == code
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.strip().splitlines()[0]


@pytest.mark.parametrize("kind", sorted(BAD_BYTES))
def test_bad_bytes_in_a_study_file(tmp_path, capsys, kind):
    path = tmp_path / "study.yaml"
    path.write_bytes(BAD_BYTES[kind])
    with pytest.raises(BepError) as err:
        load_study(path)
    assert str(path) in str(err.value) and "\n" not in str(err.value)
    line = _one_line_cli(capsys, ["validate", str(path)], 1)
    assert line.startswith(str(path))
    line = _one_line_cli(capsys, ["diff", f"{path}:baseline"], 2)
    assert line.startswith(f"bep diff: {path}")


def test_messages_say_what_is_wrong(tmp_path):
    expected = {
        "binary": "binary data",
        "latin1": "not UTF-8 text (byte 0xe9 at offset 10",
        "utf16_bom": "UTF-16",
        "utf16_no_bom": "UTF-16",
        "control_chars": ":2: invalid YAML: control character #x0001",
    }
    for kind, data in BAD_BYTES.items():
        path = tmp_path / f"{kind}.yaml"
        path.write_bytes(data)
        with pytest.raises(BepError, match=expected[kind].replace("(", r"\(")):
            load_study(path)


def _family_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "families" / "sandbagging_qa"
    shutil.copytree(SHIPPED_FAMILY, folder)
    return folder


def _study_on(tmp_path: Path, family: Path) -> Path:
    study = tmp_path / "mine.yaml"
    text = SHIPPED_STUDY.read_text(encoding="utf-8")
    study.write_text(text.replace("family: sandbagging_qa", f"family: {family.relative_to(tmp_path)}", 1))
    return study


@pytest.mark.parametrize(
    "file,data,message",
    [
        ("family.yaml", "name: sandbagging_qa\ndescription: caf\u00e9\n".encode("latin-1"), "family.yaml:2: not UTF-8"),
        ("family.yaml", "name: sandbagging_qa\n".encode("utf-16"), "family.yaml: file is UTF-16"),
        ("user.j2", "Caf\u00e9 {{ instruction_text }}\n".encode("latin-1"), "user.j2:1: not UTF-8"),
        ("_extra.j2", b"\x00\x01\x02\x03\xff\xfe\x00\x01", "_extra.j2:1: binary data"),
    ],
)
def test_bad_bytes_in_a_family_folder(tmp_path, capsys, file, data, message):
    folder = _family_copy(tmp_path)
    (folder / file).write_bytes(data)
    with pytest.raises(BepError, match=message):
        load_family(folder)
    assert message in _one_line_cli(capsys, ["validate", str(folder)], 1)
    study = _study_on(tmp_path, folder)
    assert message in _one_line_cli(capsys, ["diff", f"{study}:baseline"], 2)


@pytest.mark.parametrize(
    "text,message",
    [
        ("{{ ''.__class__.__mro__ }}", "blocked by the template sandbox: access to attribute '__class__'"),
        ("{{ range(10000000)|list }}", "rendering failed: OverflowError: Range too big"),
        ("{{ 1 // 0 }}", "rendering failed: ZeroDivisionError"),
        ("{% if %}", "template system.j2:1 "),
    ],
)
def test_template_failures_name_family_template_and_condition(tmp_path, capsys, text, message):
    folder = _family_copy(tmp_path)
    (folder / "system.j2").write_text(text + "\n", encoding="utf-8")
    study = _study_on(tmp_path, folder)
    line = _one_line_cli(capsys, ["validate", str(study)], 1)
    assert message in line
    assert "family 'sandbagging_qa'" in line and "system.j2" in line and "(sandbagging_b6:baseline.a)" in line
    line = _one_line_cli(capsys, ["diff", f"{study}:developers_sad.b"], 2)
    assert message in line and "(sandbagging_b6:developers_sad.b)" in line
    line = _one_line_cli(capsys, ["validate", str(folder)], 1)
    assert message in line and "(default levels)" in line


def test_template_outside_the_family_folder(tmp_path):
    folder = _family_copy(tmp_path)
    spec = folder / "family.yaml"
    spec.write_text(spec.read_text().replace("system: system.j2", "system: ../../secret.j2"), encoding="utf-8")
    (tmp_path / "secret.j2").write_text("hi\n")
    with pytest.raises(BepError, match=r"family.yaml:\d+: template file '../../secret.j2' must be inside"):
        load_family(folder)


def test_alias_bomb_and_deep_nesting_are_one_line_errors(tmp_path):
    anchors = ["&a0 [x, x, x, x, x, x, x, x, x, x]"]
    anchors += [f"&a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(f"study: bomb\ndescription: [{', '.join(anchors)}]\nmargin: *a8\n", encoding="utf-8")
    with pytest.raises(BepError, match="bomb.yaml: YAML too large once its aliases are expanded"):
        load_study(bomb)
    deep = tmp_path / "deep.yaml"
    deep.write_text("study: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(BepError, match="deep.yaml: invalid YAML: nested too deeply"):
        load_study(deep)


def test_a_non_scalar_level_is_named_briefly(tmp_path):
    path = tmp_path / "study.yaml"
    text = SHIPPED_STUDY.read_text(encoding="utf-8")
    path.write_text(text.replace("levels: {consequence: developers_sad}", "levels: {consequence: [a, b, c, d, e, f]}"))
    with pytest.raises(BepError, match=r"level of factor 'consequence' must be a level name, got \['a', 'b', 'c', 'd', \.\.\.\]"):
        load_study(path)
