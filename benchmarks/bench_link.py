"""Throughput of the COP-1 golden model (net-optical-isl class ``reliable``) and of the channel model.

Run: ``python benchmarks/bench_link.py [--sdus 20000] [--peer-sdus 3000] [--repeat 5]``.

* **COP-1, reference both ends, lossy**: the reference FOP-1 (window 64, T1 3 steps) sends seeded
  SDUs (4 to 16 octets) to the reference FARM-1 (W = 128) over the Gilbert-Elliott channel of the
  conformance suite (10.9 % long-run loss on frames and on CLCWs), in steps of simulated time, until
  every SDU is delivered; the delivery is checked exactly-once in order. SDUs per CPU second.
* **COP-1, lossless, reference vs ccsds-cop**: the same SDUs, one SDU per FOP-1 request and one CLCW
  per frame, over a lossless link, for the reference pair and for ccsds-cop 0.1.2's FOP-1 and
  FARM-1 (frames built and parsed with spacepackets, its lower layer; its wall-clock timer replaced
  by a no-op, the link being lossless). ccsds-cop is not run over the lossy channel: it loses SDUs
  there (it empties its Sent_Queue on any acknowledgement, tests/reference_impl/optical/test_cop1.py
  ``test_divergence_*``). Both deliveries are checked equal to the offered SDUs; the ratio is
  reference / ccsds-cop.
* **Channel model**: Gilbert-Elliott loss decisions and pointing-jitter fades, samples per second.

Times are CPU seconds (``time.process_time``), the median of ``--repeat`` runs for the reference
and of 3 for the peer.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ[_var] = "1"  # single thread, set before numpy is imported

import argparse  # noqa: E402

import numpy as np  # noqa: E402

from orbitcert.reference_impl.optical import cop1  # noqa: E402
from orbitcert.reference_impl.optical.channel import GilbertElliott, LossyLink, pointing_fades  # noqa: E402
from _common import cpu_median  # noqa: E402

SEED = 20261126
SCID, VCID, MAP = 0x2A5, 9, 3
CHANNEL = GilbertElliott(p_gb=0.02, p_bg=0.2, loss_good=0.02, loss_bad=1.0)



def _sdus(n: int) -> list[bytes]:
    rng = np.random.default_rng(SEED)
    return [i.to_bytes(4, "big") + rng.integers(0, 256, int(rng.integers(0, 13)), dtype=np.uint8).tobytes() for i in range(n)]


def reference_lossy(sdus: list[bytes], seed: int = SEED) -> dict[str, int]:
    fop = cop1.Fop1(SCID, VCID, MAP, 64, 20, 3.0)
    farm = cop1.Farm1(SCID, VCID, 128)
    fwd, back = LossyLink(CHANNEL, np.random.default_rng(seed)), LossyLink(CHANNEL, np.random.default_rng(seed + 1))
    got: list[bytes] = []
    nxt, now, frames = 0, 0.0, 0
    words: list[bytes] = []
    while len(got) < len(sdus):
        step = fop.step(now, words, sdus[nxt : nxt + 64])
        if step.alert is not None:
            raise RuntimeError(f"alert {step.alert} at t={now}")
        nxt += step.accepted
        frames += len(step.frames)
        got += farm.receive(fwd.transmit(step.frames))
        words = back.transmit([cop1.encode_clcw(farm.clcw())])
        now += 1.0
    if got != sdus:
        raise RuntimeError("reference delivery is not exactly-once in order")
    return {"frames": frames, "steps": int(now), "lost": fwd.lost}


def reference_lossless(sdus: list[bytes]) -> list[bytes]:
    fop = cop1.Fop1(SCID, VCID, MAP, 8, 5, 5.0)
    farm = cop1.Farm1(SCID, VCID, 16)
    got: list[bytes] = []
    word: list[bytes] = []
    for sdu in sdus:
        step = fop.step(0.0, word, [sdu])
        got += farm.receive(step.frames)
        word = [cop1.encode_clcw(farm.clcw())]
    return got


def peer_lossless(sdus: list[bytes]) -> list[bytes]:
    from ccsds_cop.cop_1 import ControlWord, Gvcid
    from ccsds_cop.cop_1.farm import Farm1 as PeerFarm
    from ccsds_cop.cop_1.farm import ValidFrameArrivedIndication
    from ccsds_cop.cop_1.fop import fop as peer_fop
    from ccsds_cop.cop_1.fop.types import (
        DirectiveRequest,
        DirectiveType,
        RequestToTransferFdu,
        Response,
        ResponseType,
        ServiceType,
        TransmitRequestForFrame,
    )
    from spacepackets.uslp import (
        PrimaryHeader,
        SourceOrDestField,
        TfdzConstructionRules,
        TransferFrame,
        TransferFrameDataField,
        UslpProtocolIdentifier,
    )
    from spacepackets.uslp.frame import FrameType, VarFrameProperties

    class NoTimerFop(peer_fop.Fop1):  # lossless link: T1 never matters; no threads
        def start_timer(self) -> None:
            pass

        def cancel_timer(self) -> None:
            pass

    gvcid = Gvcid(0b1100, SCID, VCID)
    fop = NoTimerFop(gvcid, k=8, timer_initial_value=5)
    fop.on_receive_directive(DirectiveRequest(gvcid, 1, DirectiveType.SET_TRANSMISSION_LIMIT, 5))
    fop.on_receive_directive(DirectiveRequest(gvcid, 2, DirectiveType.INITIATE_AD_NO_CLCW))
    fop.on_receive_response_from_lower_layer(Response(gvcid, ResponseType.AD_ACCEPTED))
    farm = PeerFarm(w=16)
    props = VarFrameProperties(has_insert_zone=False, has_fecf=True, truncated_frame_len=0)
    got: list[bytes] = []
    for i, sdu in enumerate(sdus):
        fop.on_receive_request_to_transfer_fdu(RequestToTransferFdu(gvcid, i, sdu, ServiceType.AD))
        while fop.interface.to_lower:
            req = fop.interface.to_lower.pop()
            if not isinstance(req, TransmitRequestForFrame):
                continue
            header = PrimaryHeader(scid=SCID, src_dest=SourceOrDestField.SOURCE, vcid=VCID, map_id=MAP, frame_len=0,
                                   bypass_seq_ctrl_flag=req.bypass_flag, prot_ctrl_cmd_flag=req.command_flag,
                                   vcf_count_len=1, vcf_count=req.v_s)
            frame = TransferFrame(header, TransferFrameDataField(
                TfdzConstructionRules.VpNoSegmentation, UslpProtocolIdentifier.MISSION_SPECIFIC_INFO_1_MAPA_SDU, req.tfdf))
            frame.set_frame_len_in_header()
            raw = bytes(frame.pack(frame_type=FrameType.VARIABLE))
            fop.on_receive_response_from_lower_layer(Response(gvcid, ResponseType.AD_ACCEPTED))
            farm.lower_interface.buffer.append(TransferFrame.unpack(raw, FrameType.VARIABLE, props))
            farm.lower_interface.signal.append(ValidFrameArrivedIndication(gvcid))
            farm.tick()
            while farm.higher_interface.buffer:
                got.append(bytes(farm.higher_interface.buffer.pop().tfdf.tfdz))
            farm.higher_interface.signal.clear()
        word = ControlWord(vcid=VCID, lockout=farm.lockout, wait=farm.wait, retransmit=farm.retransmit,
                           farm_b_counter=farm.b_counter, report_value=farm.v_r)
        fop.on_clcw_arrived(ControlWord.unpack(word.pack()))
        fop.interface.to_higher.clear()
    return got


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sdus", type=int, default=20_000)
    parser.add_argument("--peer-sdus", type=int, default=3_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--samples", type=int, default=2_000_000)
    args = parser.parse_args()

    sdus = _sdus(args.sdus)
    t, info = cpu_median(lambda: reference_lossy(sdus), args.repeat)
    print(f"COP-1 reference both ends, lossy ({CHANNEL.stationary_loss_rate:.1%} loss): "
          f"{len(sdus) / t:,.0f} SDU/s  ({info['frames'] / t:,.0f} frames/s; {info['frames']} frames, "
          f"{info['steps']} steps for {len(sdus)} SDUs)")

    few = sdus[: args.peer_sdus]
    t_ref, got_ref = cpu_median(lambda: reference_lossless(few), args.repeat)
    t_peer, got_peer = cpu_median(lambda: peer_lossless(few), 3)
    if got_ref != few or got_peer != few:
        raise SystemExit("lossless delivery differs from the offered SDUs")
    print(f"COP-1 lossless, one SDU per request: reference {len(few) / t_ref:,.0f} SDU/s, "
          f"ccsds-cop {len(few) / t_peer:,.0f} SDU/s, ratio {t_peer / t_ref:.1f}x")

    n = args.samples
    rng = np.random.default_rng(SEED)
    t_ge, _ = cpu_median(lambda: CHANNEL.losses(n, rng), args.repeat)
    t_pf, _ = cpu_median(lambda: pointing_fades(n, 2e-6, 5e-6, 0.3, rng), args.repeat)
    print(f"channel: Gilbert-Elliott {n / t_ge / 1e6:,.1f} M samples/s, pointing fades {n / t_pf / 1e6:,.1f} M samples/s")


if __name__ == "__main__":
    main()
