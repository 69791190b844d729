"""The test infrastructure itself: a real anvil starts on a free port and stops with its fixture."""

from __future__ import annotations

import socket

from settlefl.devchain import Anvil


def test_anvil_fixture_serves_a_fresh_chain_and_stops_with_the_test(anvil: Anvil) -> None:
    assert int(anvil.rpc("eth_chainId"), 16) == 31337
    assert int(anvil.rpc("eth_blockNumber"), 16) == 0
    anvil.rpc("evm_mine")
    assert int(anvil.rpc("eth_blockNumber"), 16) == 1
    anvil.stop()
    with socket.socket() as sock:
        assert sock.connect_ex(("127.0.0.1", anvil.port)) != 0
