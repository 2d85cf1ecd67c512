"""Throughput of the link-security reference (``sec-link-security``) beside raw AEAD.

Run: ``python benchmarks/bench_security.py [--seconds 0.5] [--repeat 5]``.

For AES-256-GCM and SM4-GCM, and data fields of 64 octets, 1 KiB and 64 KiB, one table gives:

* ``protect``: frames/s and MB/s (of data field) of the reference's batch ApplySecurity
  (``sdls.protect_batch``, in batches of ``CHUNK`` frames: TC frames for 64 octets, USLP above,
  which TC's 1024-octet frame limit excludes; 12-octet IV, 4-octet sequence number, 16-octet MAC,
  FECF, and at the largest size also without FECF);
* ``verify``: the same for ProcessSecurity of those frames (anti-replay, MAC check, decryption);
* ``raw``: ``cryptography``'s AEAD alone on the same payloads and AAD lengths (``AESGCM`` and
  ``Cipher(SM4, GCM)``), and the ratio raw / reference (1.0 = no overhead).

Every figure is the median over ``--repeat`` runs of CPU time (``time.process_time``) for as many
frames as fit in about ``--seconds``; the machine is shared and noisy, so CPU time and medians.
Targets (issue 8): within 1.5x of raw AEAD at 64 KiB; at least 50,000 frames/s protected at 1 KiB.
"""

from __future__ import annotations

import argparse
import ctypes
import statistics
import sys
import time
from collections.abc import Callable

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from orbitcert.reference_impl.security import iut, sdls

#: Data field sizes: 64 octets, 1 KiB, and "64 KiB": the largest a USLP frame (65,536 octets at
#: most, CCSDS 732.1-B-2 4.1.2.7) holds with its 7-octet header, an 18-octet security header, the
#: 16-octet MAC and the FECF.
USLP_MAX = 65536
SIZES = [64, 1024, USLP_MAX - 7 - 18 - 16 - 2]
KEYS = {"aes-256-gcm": bytes(range(32)), "sm4-gcm": bytes(range(16))}
SECURITY_HEADER = 2 + 12 + 4  # SPI, IV, sequence number
#: Frames per batch call. Batches of every frame at 64 KiB would hold hundreds of MB: page faults
#: on fresh memory (about 2 us per 4 KiB page on this VM) would then dominate both columns.
CHUNK = 64


def clear_frame(frame_type: str, size: int, seq: int, fecf: bool) -> bytes:
    """A clear TC or USLP frame with a ``size``-octet data field (lengths are recomputed by ApplySecurity)."""
    data = bytes((seq + i) & 0xFF for i in range(size))
    tail = b"\x00\x00" if fecf else b""
    if frame_type == "tc":
        return bytes([0x00, 0x03, 0x00, 0x00, seq & 0xFF]) + data + tail  # version 00, SCID 3, VC 0
    return bytes([0xC0, 0x00, 0x30, 0x00, 0x00, 0x00, 0x00]) + data + tail  # USLP 1100, SCID 3, no VC count


def products(algorithm: str, frame_type: str, fecf: bool) -> tuple[iut.ReferenceLinkSecurity, iut.ReferenceLinkSecurity, int]:
    """(sender, receiver, AAD length): two reference products sharing one operational SA."""
    aad_len = (5 if frame_type == "tc" else 7) + SECURITY_HEADER
    sa = {
        "spi": 1, "frame_type": frame_type, "segment_header": False, "fecf": fecf,
        "service_type": "authenticated_encryption", "algorithm": algorithm, "ekid": 1, "akid": None,
        "iv_length": 12, "sequence_number_length": 4, "pad_length_length": 0, "mac_length": 16,
        "authentication_bit_mask": "ff" * aad_len, "anti_replay_window": 1 << 30,
        "iv": "00" * 12, "sequence_number": "00" * 4, "state": "operational",
    }
    pair = []
    for _ in range(2):
        product = iut.create()
        product.load_key(1, KEYS[algorithm], "active")
        product.configure_sa(sa)
        pair.append(product)
    return pair[0], pair[1], aad_len


def median_cpu(work: Callable[[], int], repeat: int) -> float:
    """Median items per CPU second of ``work`` (which returns how many items it did)."""
    rates = []
    for _ in range(repeat):
        t0 = time.process_time()
        n = work()
        rates.append(n / max(time.process_time() - t0, 1e-9))
    return statistics.median(rates)


def raw_aead(algorithm: str, size: int, aad_len: int, count: int) -> Callable[[], int]:
    """``count`` AEAD encryptions of ``size`` octets with ``aad_len`` octets of AAD, the outputs of
    each chunk of ``CHUNK`` kept together, exactly as the reference's batches are measured."""
    key = KEYS[algorithm]
    payload, aad = bytes(size), bytes(aad_len)
    ivs = [i.to_bytes(12, "big") for i in range(1, count + 1)]
    if algorithm == "aes-256-gcm":
        aead = AESGCM(key)

        def work() -> int:
            done = 0
            for i in range(0, count, CHUNK):
                done += len([aead.encrypt(iv, payload, aad) for iv in ivs[i : i + CHUNK]])
            return done
    else:
        def work() -> int:
            done = 0
            for i in range(0, count, CHUNK):
                out = []
                for iv in ivs[i : i + CHUNK]:
                    enc = Cipher(algorithms.SM4(key), modes.GCM(iv)).encryptor()
                    enc.authenticate_additional_data(aad)
                    out.append(enc.update(payload) + enc.finalize() + enc.tag)
                done += len(out)
            return done
    return work


def keep_freed_memory() -> bool:
    """Ask glibc to keep freed memory mapped (no trimming, no per-buffer mmap): otherwise every
    64 KiB output lands on fresh pages, and on this VM a page fault costs about 2 us, so both
    columns would measure the kernel (raw AES-GCM of 64 KiB: 36 us per frame with faults, 8.7 us
    without). Returns whether it applied (glibc on Linux only)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3
    return bool(libc.mallopt(m_trim_threshold, 1 << 30)) and bool(libc.mallopt(m_mmap_threshold, 1 << 24))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=0.2, help="Rough CPU seconds per measurement.")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    warm = keep_freed_memory()
    rows = []
    cases = [(a, size, True) for a in KEYS for size in SIZES] + [(a, SIZES[-1], False) for a in KEYS]
    for algorithm, size, fecf in cases:
        frame_type = "tc" if size <= 1000 else "uslp"
        sender, _, aad_len = products(algorithm, frame_type, fecf)
        count = max(20, int(args.seconds * 3e8 / (size + 3000) / (3 if algorithm == "sm4-gcm" else 1)))
        frames = [clear_frame(frame_type, size, i, fecf) for i in range(count)]
        chunks = [frames[i : i + CHUNK] for i in range(0, count, CHUNK)]
        protect, verify = [], []
        for _ in range(args.repeat):
            t0 = time.process_time()
            for chunk in chunks:
                sdls.protect_batch(sender, chunk, 1)
            protect.append(count / max(time.process_time() - t0, 1e-9))
        received = sdls.protect_batch(sender, frames, 1)  # within every fresh receiver's window
        for _ in range(args.repeat):
            receiver = products(algorithm, frame_type, fecf)[1]
            t0 = time.process_time()
            accepted = sum(receiver.process_security(f)["accepted"] for f in received)
            verify.append(count / max(time.process_time() - t0, 1e-9))
            assert accepted == count, f"the receiver rejected {count - accepted} of the sender's frames"
        raw = median_cpu(raw_aead(algorithm, size, aad_len, count), args.repeat)
        rows.append((algorithm, frame_type, fecf, size, statistics.median(protect), statistics.median(verify), raw))

    head = (f"{'algorithm':<12} {'frame':<5} {'FECF':<4} {'data':>6}  {'protect f/s':>12} {'MB/s':>8}  {'verify f/s':>11}"
            f" {'MB/s':>8}  {'raw AEAD f/s':>12} {'MB/s':>8}  {'raw/protect':>11}")
    print(head)
    for algorithm, frame_type, fecf, size, prot, ver, raw in rows:
        print(f"{algorithm:<12} {frame_type:<5} {'yes' if fecf else 'no':<4} {size:>6}  {prot:>12,.0f} {prot * size / 1e6:>8.1f}"
              f"  {ver:>11,.0f} {ver * size / 1e6:>8.1f}  {raw:>12,.0f} {raw * size / 1e6:>8.1f}  {raw / prot:>10.2f}x")
    print(f"freed memory kept mapped (mallopt): {'yes' if warm else 'no (figures include page faults)'}")
    print(f"targets: protect within 1.5x of raw AEAD at {SIZES[-1]} octets; >= 50,000 frames/s protected at 1024 (one core).")
    print("The FECF-off rows compare ApplySecurity itself with the raw AEAD; the FECF (CRC-16 with fastcrc) is the")
    print("frame layer's cost.")


if __name__ == "__main__":
    main()
