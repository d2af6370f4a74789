"""gen_audio.py: reference data for the audio front end (src/audio/), made by the
OFFICIAL VGGish input code of VCT (models/modeling/audio_backbone/torchvggish:
vggish_input.py, mel_features.py, vggish_params.py), imported from an export of
the official repository:

    fetch github:spyflying/VCT_AVS   (or git clone it)
    git -C MIRROR archive 9a18d2fd83906ae5ef42e8996dc7d1b46259debe | tar -x -C DIR
    /usr/bin/python3 tests/ref/gen_audio.py DIR [--rev REVISION]

(or VCT_OFFICIAL_REPO=DIR). Without the export it prints that it skipped and
exits 0, leaving the committed data alone. Needs Debian's python3-resampy,
python3-soundfile, python3-torch and, for the container cases, the ffmpeg tool.

Inputs: the committed media in data/audio_media/ (made by make_test_audio.sh).
The official wavfile_to_examples(path) is called unchanged; thin wrappers
around resampy.resample and mel_features.log_mel_spectrogram record what the
official code passes through them (the decoded mono waveform, the 16 kHz
waveform, the float64 log-mel frames). Outputs (small: subsets where a file
would be large):
  audio_wav.safetensors         per WAV: decode/resample/log-mel subsets, examples
                                (+ resampy 0.3.1 arithmetic, emulated, at 22.05/44.1/48 kHz)
  audio_containers.safetensors  per container: the samples the official code reads
                                from `ffmpeg -i FILE -c:a pcm_s16le x.wav`
  audio_frontend.safetensors    kaiser_best table subset, example counts, task padding
  audio_coverage.safetensors    the coverage set (see COV below): per entry its spec, the
                                checksum of its WAV data, decoded/log-mel subsets and sums
  audio_long.safetensors        the official float32 examples of the 10 s and 13.7 s chirps
Inputs of the coverage set: synthetic signals generated from a formula (here and in
tests/audio/test_coverage.c), the committed FLAC sources (espeak-ng, fluidsynth) tiled,
and the committed mp3/opus/aac/ac3 files.
"""
import hashlib
import os

# The OpenBLAS kernel changes the last bits of numpy's float64 mel dot products; the
# committed data was made with the default kernel (harness env.sh sets SkylakeX).
os.environ.pop("OPENBLAS_CORETYPE", None)
import subprocess
import sys
import tempfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
MEDIA = os.path.join(HERE, "data", "audio_media")
DEFAULT_REV = "9a18d2fd83906ae5ef42e8996dc7d1b46259debe"


def usage_skip(why):
    print(f"gen_audio.py: skipped ({why}); pass an export of the official repo: "
          "gen_audio.py DIR [--rev REV] or VCT_OFFICIAL_REPO=DIR")
    sys.exit(0)


args = [a for a in sys.argv[1:]]
rev = DEFAULT_REV
if "--rev" in args:
    i = args.index("--rev")
    rev = args[i + 1]
    del args[i:i + 2]
export = args[0] if args else os.environ.get("VCT_OFFICIAL_REPO", "")
VGG_DIR = os.path.join(export, "models", "modeling", "audio_backbone")
if not export or not os.path.isfile(os.path.join(VGG_DIR, "torchvggish", "vggish_input.py")):
    usage_skip("no official export given" if not export else f"{export} has no torchvggish")

import resampy  # noqa: E402
import soundfile  # noqa: E402
import torch  # noqa: E402

sys.path.insert(0, VGG_DIR)
from torchvggish import mel_features, vggish_input, vggish_params  # noqa: E402

from refio import write_ref  # noqa: E402

# ---- record what the official code computes on its way -------------------------------------
REC = {}
_resample = vggish_input.resampy.resample
_log_mel = mel_features.log_mel_spectrogram


class _ResampyProxy:
    @staticmethod
    def resample(x, sr_orig, sr_new, *a, **k):
        REC["decoded"] = np.array(x, copy=True)
        y = _resample(x, sr_orig, sr_new, *a, **k)
        REC["resampled"] = np.array(y, copy=True)
        return y


def _log_mel_rec(data, **kw):
    REC.setdefault("decoded", np.array(data, copy=True))
    REC["wave16"] = np.array(data, copy=True)
    y = _log_mel(data, **kw)
    REC["log_mel"] = np.array(y, copy=True)
    return y


vggish_input.resampy = _ResampyProxy
vggish_input.mel_features.log_mel_spectrogram = _log_mel_rec


def official(path):
    REC.clear()
    ex = vggish_input.wavfile_to_examples(path)  # [N,1,96,64] float32 tensor
    out = dict(REC)
    out["examples"] = ex.detach().numpy()[:, 0]
    return out


def subset_idx(n, count, edge):
    """first/last `edge` samples and about `count` spread over the rest"""
    step = max(1, n // count)
    idx = np.concatenate([np.arange(min(edge, n)), np.arange(0, n, step),
                          np.arange(max(0, n - edge), n)])
    return np.unique(idx).astype(np.int64)


def add_wave(t, key, x, count, edge):
    x = np.asarray(x, dtype=np.float64)
    t[key + ".n"] = np.array([len(x)], dtype=np.int64)
    t[key + ".sum"] = np.array([x.sum(), (x * x).sum()], dtype=np.float64)
    idx = subset_idx(len(x), count, edge)
    t[key + ".idx"] = idx
    t[key + ".val"] = x[idx]


def resample_v03(x, sr_orig, sr_new):
    """resampy 0.3.1's arithmetic (VCT's requirements.txt pins it; Debian has 0.4.2):
    its numba kernel took `scale` as float32 and the length was int(n * ratio).
    Emulated by calling 0.4.2's kernel with the float32-rounded scale (numba promotes
    float32 * float64 to float64 there, as here)."""
    from resampy.interpn import resample_f_s
    ratio = float(sr_new) / sr_orig
    n = int(x.shape[-1] * ratio)
    win, prec, _ = resampy.filters.get_filter("kaiser_best")
    if ratio < 1:
        win = ratio * win
    delta = np.diff(win, append=win[-1])
    scale = float(np.float32(min(1.0, ratio)))
    y = np.zeros(n)
    resample_f_s(x, np.arange(n) * (1.0 / ratio), win, delta, prec, scale, y)
    return y


def file_sha(p):
    with open(p, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()[:16]


meta = {
    "official_repo": "spyflying/VCT_AVS",
    "official_revision": rev,
    "official_files_sha256": ",".join(
        f"{n}:{file_sha(os.path.join(VGG_DIR, 'torchvggish', n))}"
        for n in ("vggish_input.py", "mel_features.py", "vggish_params.py")),
    "resampy": resampy.__version__,
    "soundfile": soundfile.__version__,
    "libsndfile": soundfile.__libsndfile_version__,
    "numpy": np.__version__,
}

# ---- WAV files ------------------------------------------------------------------------------
FULL_LOGMEL = {"audio_16k_tones_s16_mono", "audio_44k_chirp_s16_mono"}
wav_t = {}
names = sorted(f[:-4] for f in os.listdir(MEDIA) if f.endswith(".wav"))
for name in names:
    path = os.path.join(MEDIA, name + ".wav")
    info = soundfile.info(path)
    r = official(path)
    k = name
    wav_t[k + ".rate"] = np.array([info.samplerate, info.channels], dtype=np.int64)
    add_wave(wav_t, k + ".decoded", r["decoded"], 160, 24)
    if "resampled" in r:
        add_wave(wav_t, k + ".resampled", r["resampled"], 300, 64)
        if info.samplerate in (22050, 44100, 48000):
            add_wave(wav_t, k + ".resampled_v03", resample_v03(r["decoded"], info.samplerate, 16000),
                     300, 64)
    lm = r["log_mel"]
    if name in FULL_LOGMEL:
        wav_t[k + ".logmel"] = lm  # float64 [n,64]
    else:
        fi = np.unique(np.concatenate([[0, 1], np.linspace(0, len(lm) - 1, 6).round(), [len(lm) - 1]]))
        fi = fi.astype(np.int64)
        wav_t[k + ".logmel_idx"] = fi
        wav_t[k + ".logmel_rows"] = lm[fi]
    wav_t[k + ".logmel_n"] = np.array([lm.shape[0]], dtype=np.int64)
    ex = r["examples"]
    wav_t[k + ".examples_n"] = np.array([ex.shape[0]], dtype=np.int64)
    if ex.shape[0] > 0 and name != "audio_8k_chirp_s16_mono":
        wav_t[k + ".examples"] = np.ascontiguousarray(ex)
    print(f"{name}: {info.samplerate} Hz x{info.channels} {info.subtype}, {len(r['decoded'])} samples, "
          f"{lm.shape[0]} frames, {ex.shape[0]} examples")

# the float WAV read as `ffmpeg -c:a pcm_s16le` would convert it (AUDIO_FLOAT_WAV_SCALE)
with tempfile.TemporaryDirectory() as td:
    f32 = os.path.join(MEDIA, "audio_16k_chirp_f32_mono.wav")
    w = os.path.join(td, "x.wav")
    subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", f32,
                    "-c:a", "pcm_s16le", w], check=True)
    r = official(w)
    add_wave(wav_t, "audio_16k_chirp_f32_mono.scaled", r["decoded"], 160, 24)
write_ref("audio_wav", wav_t, meta)

# ---- other containers: what the official code reads from the ffmpeg-extracted WAV ----------
con_t = {}
ffv = subprocess.run(["ffmpeg", "-version"], capture_output=True, text=True).stdout.split("\n")[0]
with tempfile.TemporaryDirectory() as td:
    for f in sorted(os.listdir(MEDIA)):
        if not (f.startswith("audio_c_") or f == "audio_bad_truncated.mp3"):
            continue
        w = os.path.join(td, f + ".wav")
        subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i",
                        os.path.join(MEDIA, f), "-vn", "-c:a", "pcm_s16le", w], check=True)
        info = soundfile.info(w)
        r = official(w)
        k = os.path.splitext(f)[0]
        con_t[k + ".rate"] = np.array([info.samplerate, info.channels], dtype=np.int64)
        add_wave(con_t, k + ".decoded", r["decoded"], 200, 32)
        print(f"{f}: {info.samplerate} Hz x{info.channels}, {len(r['decoded'])} samples")
write_ref("audio_containers", con_t, dict(meta, ffmpeg=ffv))

# ---- front end: filter table, example counts, task padding --------------------------------
fe = {}
hw = resampy.filters.get_filter("kaiser_best")[0]
ti = subset_idx(len(hw), 400, 40)
fe["kaiser_best.idx"] = ti
fe["kaiser_best.val"] = np.asarray(hw, dtype=np.float64)[ti]
# example count N as a function of the 16 kHz length S (official framing on silence)
lens = [400, 559, 560, 15599, 15600, 30959, 30960, 77039, 77040, 80000, 92399, 92400,
        153839, 153840, 160000]
counts = []
for S in lens:
    e = vggish_input.waveform_to_examples(np.zeros(S), vggish_params.SAMPLE_RATE)
    counts.append([S, REC["log_mel"].shape[0], e.shape[0]])
fe["counts"] = np.array(counts, dtype=np.int64)
# task padding on a 3-example clip: rows of the padded tensor as indices into the
# examples (-1 = zeros), from the official padding code:
#   AVSBench preprocess_s4.py / preprocess_ms3.py: new[:N] = lm; new[N:] = lm[-1].repeat(5-N, 1, 1, 1)
#   VCT avs_tools/preprocess_avss_audio.py: new = zeros(10,1,96,64); new[:N] = x
x = vggish_input.wavfile_to_examples(os.path.join(MEDIA, "audio_8k_chirp_s16_mono.wav"))
N = x.shape[0]
s4 = torch.zeros(5, 1, 96, 64)
s4[:N] = x
s4[N:] = x[-1].repeat(5 - N, 1, 1, 1)
avss = torch.zeros((10, 1, 96, 64))
avss[:N] = x


def rowmap(padded):
    m = []
    for r in range(padded.shape[0]):
        hit = [i for i in range(N) if torch.equal(padded[r], x[i])]
        m.append(hit[0] if hit else (-1 if torch.count_nonzero(padded[r]) == 0 else -2))
    return np.array(m, dtype=np.int64)


fe["pad.examples"] = x.detach().numpy()[:, 0]
fe["pad.s4_rows"] = rowmap(s4)
fe["pad.avss_rows"] = rowmap(avss)
write_ref("audio_frontend", fe, meta)

# ---- coverage: signals x rates x channels x formats x durations (tests/audio/test_coverage.c) --
# Each entry is a WAV that both sides build from a spec, byte for byte: a synthetic
# signal (integer-phase sine and chirp, counter-hashed noise, in exactly reproducible
# double arithmetic) or a committed FLAC source (espeak-ng speech, fluidsynth note)
# tiled to the duration. The C test writes the same bytes, checks their checksum and
# runs its own chain on them; here the official wavfile_to_examples runs on them.
# Containers (mp3/opus/aac/ac3, and the FLAC sources): the reference is the official
# code on `ffmpeg -i F -c:a pcm_s16le x.wav`; the C test decodes F itself.
KIND = {"sine": 0, "chirp": 1, "noise": 2, "file": 3, "container": 4}
FMT = {"s16": 0, "s24": 1, "f32": 2}
M32 = (1 << 32) - 1
COV = [  # stem suffix: signal, rate, channels, format, duration (s, or None = the source's)
    ("sine", 16000, 1, "s16", 0.96), ("sine", 16000, 2, "s24", 5), ("sine", 8000, 1, "f32", 0.96),
    ("sine", 48000, 2, "s16", 0.96), ("sine", 32000, 1, "s16", 10),
    ("chirp", 16000, 1, "s16", 10), ("chirp", 44100, 2, "s24", 13.7), ("chirp", 22050, 1, "s16", 5),
    ("chirp", 11025, 2, "f32", 5), ("chirp", 32000, 1, "s24", 0.96), ("chirp", 8000, 2, "s16", 13.7),
    ("noise", 16000, 2, "s16", 13.7), ("noise", 48000, 1, "s24", 10), ("noise", 8000, 2, "s16", 5),
    ("noise", 16000, 1, "f32", 0.96), ("noise", 44100, 1, "s16", 0.96),
    ("speech", 16000, 1, "s16", None), ("speech", 16000, 2, "s24", 5), ("speech", 22050, 1, "s16", 10),
    ("speech", 22050, 2, "f32", 0.96), ("speech", 8000, 1, "s16", 13.7), ("speech", 16000, 1, "s16", 0.96),
    ("note", 44100, 2, "s16", None), ("note", 44100, 1, "s24", 5), ("note", 48000, 2, "s16", 10),
    ("note", 48000, 2, "f32", 0.96), ("note", 16000, 2, "s16", 13.7), ("note", 16000, 1, "s24", 0.96),
]
LONG = {"cov_chirp_16k_s16_mono_10s", "cov_chirp_44k_s24_stereo_13.7s"}  # full examples stored
RATE_NAME = {8000: "8k", 11025: "11k", 16000: "16k", 22050: "22k", 32000: "32k", 44100: "44k",
             48000: "48k"}


def cov_source(signal, rate):
    ch = "mono" if signal == "speech" else "stereo"
    return f"src_{signal}_{RATE_NAME[rate]}_{ch}.flac"


def parabolic_sine(ph):
    """sin(2 pi ph / 2^32) approximated with +, *, abs only (exact in C and numpy)"""
    x = (ph.astype(np.int64) - ((ph >= (1 << 31)).astype(np.int64) << 32)).astype(np.float64) / 2147483648.0
    y = 4.0 * x * (1.0 - np.abs(x))
    return 0.225 * (y * np.abs(y) - y) + y


def synth(kind, rate, C, n):
    """[n, C] float64 in [-1, 1]"""
    t = np.arange(n, dtype=np.int64)
    out = np.zeros((n, C))
    for c in range(C):
        if kind == "sine":
            inc = ((440 + 1000 * c) << 32) // rate
            out[:, c] = parabolic_sine((t * inc) & M32)
        elif kind == "chirp":
            lo, hi = (50 << 32) // rate, (int(rate * 45) << 32) // (100 * rate)
            d = (hi - lo) // n
            inc0, d = (lo, d) if c == 0 else (hi, -d)
            out[:, c] = parabolic_sine((t * inc0 + d * (t * (t - 1) // 2)) & M32)
        else:  # noise: splitmix64 of the sample counter
            z = (t * C + c + 12345).astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15)
            z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
            z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
            z = z ^ (z >> np.uint64(31))
            out[:, c] = (z >> np.uint64(11)).astype(np.float64) * (1.0 / 4503599627370496.0) - 1.0
    return out


def cov_pcm(signal, rate, C, fmt, dur):
    """the WAV sample data of an entry: (bytes, n frames, subtype)"""
    if signal in ("sine", "chirp", "noise"):
        n = int(round(dur * rate))
        g = 0.999 if fmt == "f32" else {"sine": 0.5, "chirp": 0.7, "noise": 0.5}[signal]
        y = synth(signal, rate, C, n) * g
        if fmt == "s16":
            q = np.floor(y * 32767.0 + 0.5).astype(np.int64)
        elif fmt == "s24":
            q = np.floor(y * 8388607.0 + 0.5).astype(np.int64)
        else:
            q = y.astype(np.float32)
    else:
        src, sr = soundfile.read(os.path.join(MEDIA, cov_source(signal, rate)), dtype="int16", always_2d=True)
        assert sr == rate
        L = src.shape[0]
        n = L if dur is None else int(round(dur * rate))
        k = src[np.arange(n) % L].astype(np.int64)
        if k.shape[1] == 1 and C == 2:  # mono source -> stereo: right = left delayed by 37
            r = np.concatenate([np.zeros(37, np.int64), k[:-37, 0]])
            k = np.stack([k[:, 0], r], axis=1)
        elif k.shape[1] == 2 and C == 1:
            k = k[:, :1]
        if fmt == "s16":
            q = k
        elif fmt == "s24":  # top 16 bits = k, a varying low byte
            q = k * 256 + ((np.arange(n)[:, None] * 7 + 3 * np.arange(C)[None, :]) & 255)
        else:
            q = (k.astype(np.float64) / 32768.0).astype(np.float32)
    if fmt == "s16":
        data = q.astype("<i2").tobytes()
    elif fmt == "s24":
        b = q.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3]
        data = np.ascontiguousarray(b).tobytes()
    else:
        data = q.astype("<f4").tobytes()
    return data, n


def wav_bytes(data, rate, C, fmt):
    """the RIFF writer tests/audio/test_coverage.c mirrors"""
    bits = {"s16": 16, "s24": 24, "f32": 32}[fmt]
    ba = C * bits // 8
    if fmt == "f32":
        fmtc = struct.pack("<HHIIHHH", 3, C, rate, rate * ba, ba, bits, 0)
        extra = b"fact" + struct.pack("<II", 4, len(data) // ba)
    else:
        fmtc = struct.pack("<HHIIHH", 1, C, rate, rate * ba, ba, bits)
        extra = b""
    body = b"WAVE" + b"fmt " + struct.pack("<I", len(fmtc)) + fmtc + extra + b"data" + \
        struct.pack("<I", len(data)) + data + (b"\0" if len(data) % 2 else b"")
    return b"RIFF" + struct.pack("<I", len(body)) + body


def checksum(b):
    """[sum of bytes, sum of (i+1)*byte] mod 2^64, as int64 bit patterns"""
    a = np.frombuffer(b, dtype=np.uint8).astype(np.uint64)
    s1 = int(a.sum(dtype=np.uint64))
    s2 = int((a * np.arange(1, len(a) + 1, dtype=np.uint64)).sum(dtype=np.uint64))
    return np.array([s1, s2], dtype=np.uint64).view(np.int64)


def add_logmel(t, k, lm):
    t[k + ".logmel_n"] = np.array([lm.shape[0]], dtype=np.int64)
    if lm.shape[0] == 0:
        return
    fi = np.unique(np.concatenate([[0, 1], np.linspace(0, len(lm) - 1, 14).round(), [len(lm) - 1]]))
    fi = fi.astype(np.int64)
    t[k + ".logmel_idx"] = fi
    t[k + ".logmel_rows"] = lm[fi]
    t[k + ".logmel_sum"] = np.array([lm.sum(), (lm * lm).sum()], dtype=np.float64)


import struct  # noqa: E402

cov_t, long_t, cov_meta = {}, {}, {}
with tempfile.TemporaryDirectory() as td:
    for signal, rate, C, fmt, dur in COV:
        ds = "native" if dur is None else f"{dur:g}s"
        stem = f"cov_{signal}_{RATE_NAME[rate]}_{fmt}_{'mono' if C == 1 else 'stereo'}_{ds}"
        data, n = cov_pcm(signal, rate, C, fmt, dur)
        path = os.path.join(td, stem + ".wav")
        with open(path, "wb") as f:
            f.write(wav_bytes(data, rate, C, fmt))
        r = official(path)
        cov_t[stem + ".rate"] = np.array([rate, C], dtype=np.int64)
        cov_t[stem + ".spec"] = np.array([KIND.get(signal, KIND["file"]), rate, C, FMT[fmt], n], dtype=np.int64)
        if signal in ("speech", "note"):
            cov_meta[stem + ".source"] = cov_source(signal, rate)
        cov_t[stem + ".wavsum"] = checksum(data)
        add_wave(cov_t, stem + ".decoded", r["decoded"], 160, 24)
        add_logmel(cov_t, stem, r["log_mel"])
        cov_t[stem + ".examples_n"] = np.array([r["examples"].shape[0]], dtype=np.int64)
        if stem in LONG:
            long_t[stem + ".examples"] = np.ascontiguousarray(r["examples"])
        print(f"{stem}: {n} frames, {r['log_mel'].shape[0]} log-mel frames, {r['examples'].shape[0]} examples")
    conts = sorted(f for f in os.listdir(MEDIA) if f.startswith(("cov_", "src_")))
    for f in conts:
        w = os.path.join(td, f + ".wav")
        subprocess.run(["ffmpeg", "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i",
                        os.path.join(MEDIA, f), "-vn", "-c:a", "pcm_s16le", w], check=True)
        info = soundfile.info(w)
        r = official(w)
        stem = "cont_" + f.replace(".", "_")
        cov_t[stem + ".rate"] = np.array([info.samplerate, info.channels], dtype=np.int64)
        cov_t[stem + ".spec"] = np.array([KIND["container"], info.samplerate, info.channels, -1,
                                          info.frames], dtype=np.int64)
        cov_meta[stem + ".source"] = f
        add_wave(cov_t, stem + ".decoded", r["decoded"], 160, 24)
        add_logmel(cov_t, stem, r["log_mel"])
        cov_t[stem + ".examples_n"] = np.array([r["examples"].shape[0]], dtype=np.int64)
        print(f"{f}: {info.samplerate} Hz x{info.channels}, {info.frames} frames, "
              f"{r['examples'].shape[0]} examples")
write_ref("audio_coverage", cov_t, dict(meta, ffmpeg=ffv, **cov_meta))
write_ref("audio_long", long_t, meta)
