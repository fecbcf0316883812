"""`make run` beside a running `make dev`: the demo keeps its files apart and takes a free port."""

from pathlib import Path

from devstack import demo
from devstack.stack import PortInUse, StateDirInUse


class FakeStack:
    """Refuses as EmbeddedStack does: the running stack's state directory, then its port."""

    busy_dirs: set[Path] = set()
    busy_ports: set[int] = set()

    def __init__(self, state_dir: Path, api_port: int) -> None:
        self.state_dir, self.api_port = state_dir, api_port

    def start(self) -> dict[str, str]:
        if self.state_dir in self.busy_dirs:
            raise StateDirInUse(self.state_dir)
        if self.api_port in self.busy_ports:
            raise PortInUse(self.api_port)
        return {"api": f"http://127.0.0.1:{self.api_port}"}


def test_beside_a_running_stack_the_demo_uses_its_own_folder_and_a_free_port(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(demo, "EmbeddedStack", FakeStack)
    FakeStack.busy_dirs, FakeStack.busy_ports = {tmp_path}, {4000}
    stack, info = demo._start_beside_others(tmp_path, 4000)
    assert stack.state_dir == tmp_path / "demo-1"
    assert stack.api_port != 4000
    assert info["api"].endswith(f":{stack.api_port}")
    said = capsys.readouterr().out
    assert "already running" in said
    assert "port 4000 is busy" in said


def test_alone_the_demo_uses_the_checkouts_folder_and_port(tmp_path, monkeypatch):
    monkeypatch.setattr(demo, "EmbeddedStack", FakeStack)
    FakeStack.busy_dirs, FakeStack.busy_ports = set(), set()
    stack, _ = demo._start_beside_others(tmp_path, 4000)
    assert (stack.state_dir, stack.api_port) == (tmp_path, 4000)
