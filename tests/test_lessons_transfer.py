"""Lesson 07: the check functions accept right answers and reject wrong ones."""
from cnnlessons.lessons import transfer as l07


def test_check_trainable_after_freeze(capsys):
    assert l07.check_trainable_after_freeze(3136 * 3 + 3, num_classes=3)
    assert not l07.check_trainable_after_freeze(3136 * 3, num_classes=3)  # biases forgotten
    assert "Not yet" in capsys.readouterr().out
    assert l07.check_trainable_after_freeze(3136 * 5 + 5, num_classes=5)


def test_check_unfreeze_choice(capsys):
    assert l07.check_unfreeze_choice("block2")
    assert l07.check_unfreeze_choice("backbone.block2")
    assert not l07.check_unfreeze_choice("block1")
    assert "nearest the head" in capsys.readouterr().out


def test_check_errors_removed(capsys):
    # error 6% -> 4%: a third of the errors removed
    assert l07.check_errors_removed(1 / 3, acc_before=0.94, acc_after=0.96)
    assert not l07.check_errors_removed(0.02, acc_before=0.94, acc_after=0.96)
    assert "(before - after) / before" in capsys.readouterr().out


def test_placeholders_are_handled(capsys):
    assert not l07.check_trainable_after_freeze(None)
    assert not l07.check_unfreeze_choice(None)
    assert not l07.check_errors_removed(None, 0.9, 0.95)
    assert capsys.readouterr().out.count("replace None") == 3


def test_find_inception_weights_never_downloads(tmp_path, monkeypatch):
    monkeypatch.setattr("torch.hub.get_dir", lambda: str(tmp_path))
    assert l07.find_inception_weights() is None
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / "inception_v3_google-0cc3c7bd.pth").write_bytes(b"")
    assert l07.find_inception_weights().name == "inception_v3_google-0cc3c7bd.pth"
