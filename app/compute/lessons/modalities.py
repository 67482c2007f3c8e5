"""Lesson 1's data of other kinds, as CNNs see them: sound (a signal and its spectrogram), a 3-D volume
(a phantom, sliced), video (frames of a moving photo) and how strongly neighbouring pixels go together."""

import math
from functools import lru_cache

import numpy as np
import torch
from PIL import Image

from app.compute import samples
from app.compute.arrays import to_int
from app.compute.errors import InputError, brief

SAMPLE_RATE = 8000  # Hz: enough for the tones below (Nyquist 4 kHz)


SIGNALS = ("chirp", "notes")


NOTE_FREQUENCIES = (261.63, 329.63, 392.00, 523.25)  # C4, E4, G4, C5 in Hz


def synth_signal(kind: str, seconds: float = 1.0, sample_rate: int = SAMPLE_RATE) -> np.ndarray:
    """A mono signal (T,) float64 in [−1, 1]: a chirp rising 200 → 2000 Hz, or four notes with a harmonic."""
    if kind not in SIGNALS:
        raise InputError(en=f"Unknown signal {brief(kind)}; available: {', '.join(SIGNALS)}.",
                         ru=f"Нет сигнала {brief(kind)}; есть такие: {', '.join(SIGNALS)}.")
    if not 0.1 <= seconds <= 5:
        raise InputError(en="A signal lasts from 0.1 to 5 seconds.", ru="Сигнал длится от 0,1 до 5 секунд.")
    count = int(round(seconds * sample_rate))
    t = np.arange(count) / sample_rate
    if kind == "chirp":
        f0, f1 = 200.0, 2000.0
        phase = 2 * np.pi * (f0 * t + (f1 - f0) * t**2 / (2 * seconds))  # instantaneous f0 + (f1 − f0)·t/seconds
        return 0.8 * np.sin(phase)
    x = np.zeros(count)
    length = count // len(NOTE_FREQUENCIES)
    fade = min(length // 2, int(0.01 * sample_rate))  # 10 ms ramps, so the notes do not click
    envelope = np.ones(length)
    envelope[:fade] = np.linspace(0, 1, fade)
    envelope[length - fade:] = np.linspace(1, 0, fade)
    for n, f in enumerate(NOTE_FREQUENCIES):
        tn = np.arange(length) / sample_rate
        tone = 0.6 * np.sin(2 * np.pi * f * tn) + 0.2 * np.sin(2 * np.pi * 2 * f * tn)
        x[n * length:(n + 1) * length] = envelope * tone
    return x


def envelope(x: np.ndarray, bins: int) -> tuple[list[float], list[float]]:
    """Minimum and maximum of x in `bins` equal pieces (to draw a long signal with few points)."""
    pieces = np.array_split(np.asarray(x, dtype=np.float64), min(bins, len(x)))
    return [float(p.min()) for p in pieces], [float(p.max()) for p in pieces]


def spectrogram(x, n_fft: int, hop: int, sample_rate: int = SAMPLE_RATE) -> dict:
    """|STFT| of a 1-D signal with torch.stft (Hann window, centred frames): (T,) → (F, frames).

    F = n_fft/2 + 1 frequency bins from 0 to sample_rate/2; frames = 1 + ⌊T / hop⌋ because centred frames
    pad n_fft/2 samples at each end. Returns {"signal_shape": [T], "shape": [F, frames], "magnitude"
    (F, frames) float64, "db": 20·log10 of it, "bin_hz": sample_rate / n_fft, "frame_seconds": hop /
    sample_rate, "peak_hz": the loudest frequency of each frame}.
    """
    n_fft = to_int(n_fft, "n_fft", 16, 4096)
    hop = to_int(hop, "hop", 1, n_fft)
    if n_fft & (n_fft - 1):
        raise InputError(en=f"n_fft must be a power of two, got {n_fft}.",
                         ru=f"n_fft должно быть степенью двойки, а получено {n_fft}.")
    signal = torch.as_tensor(np.asarray(x, dtype=np.float64))
    if signal.ndim != 1 or signal.numel() <= n_fft // 2:
        raise InputError(en="The signal must be 1-D and longer than half a window.",
                         ru="Сигнал должен быть одномерным и длиннее половины окна.")
    stft = torch.stft(signal, n_fft=n_fft, hop_length=hop, window=torch.hann_window(n_fft, dtype=torch.float64),
                      center=True, return_complex=True)  # (F, frames)
    magnitude = stft.abs()
    bin_hz = sample_rate / n_fft
    return {
        "signal_shape": list(signal.shape),
        "shape": list(magnitude.shape),
        "magnitude": magnitude.numpy(),
        "db": (20 * torch.log10(magnitude + 1e-6)).numpy(),
        "bin_hz": bin_hz,
        "frame_seconds": hop / sample_rate,
        "peak_hz": (magnitude.argmax(dim=0).double() * bin_hz).tolist(),
    }


def stft_shape(length: int, n_fft: int, hop: int) -> tuple[int, int]:
    """The (F, frames) shape torch.stft gives for a signal of `length` samples, by running it."""
    return tuple(spectrogram(np.zeros(length), n_fft, hop)["shape"])


@lru_cache(maxsize=8)
def phantom_volume(depth: int, side: int) -> np.ndarray:
    """A synthetic CT-like head (D, H, W) float64 in [0, 1]: the Shepp–Logan phantom on ellipsoidal slices.

    Slice z shows the 2-D phantom shrunk by √(1 − t²), t running from −1 to 1 through the depth, so the
    stack is an ellipsoid with the phantom's inner structures.
    """
    depth = to_int(depth, "depth", 2, 256)
    side = to_int(side, "side", 8, 512)
    import skimage.data  # here, not at the top: the server starts without scikit-image's import time
    import skimage.transform

    base = skimage.transform.resize(skimage.data.shepp_logan_phantom(), (side, side), anti_aliasing=True)
    centre = (side - 1) / 2
    yy, xx = np.mgrid[0:side, 0:side]
    volume = np.zeros((depth, side, side))
    for z in range(depth):
        t = (z + 0.5) / depth * 2 - 1
        scale = math.sqrt(1 - t * t)
        src_y = np.rint((yy - centre) / scale + centre).astype(int)
        src_x = np.rint((xx - centre) / scale + centre).astype(int)
        inside = (src_y >= 0) & (src_y < side) & (src_x >= 0) & (src_x < side)
        volume[z][inside] = base[src_y[inside], src_x[inside]]
    return np.clip(volume, 0, 1)


def volume_slices(depth: int, side: int, z: int, y: int | None = None, x: int | None = None) -> dict:
    """Three cuts through the phantom volume as a tensor (D, H, W): axial [z] (H, W), coronal [:, y] (D, W),
    sagittal [:, :, x] (D, H). y and x default to the middle."""
    volume = torch.from_numpy(phantom_volume(depth, side))  # (D, H, W)
    d, h, w = volume.shape
    z = to_int(z, "slice", 0, d - 1)
    y = h // 2 if y is None else to_int(y, "y", 0, h - 1)
    x = w // 2 if x is None else to_int(x, "x", 0, w - 1)
    axial, coronal, sagittal = volume[z], volume[:, y, :], volume[:, :, x]
    return {
        "shape": list(volume.shape), "z": z, "y": y, "x": x,
        "axial": axial.numpy(), "coronal": coronal.numpy(), "sagittal": sagittal.numpy(),
        "axial_shape": list(axial.shape), "coronal_shape": list(coronal.shape),
        "sagittal_shape": list(sagittal.shape), "numel": volume.numel(),
    }


MOTIONS = ("pan", "rotate", "zoom")


def video_frames(sample: str, frames: int, motion: str, side: int = 96) -> dict:
    """A short synthetic video (T, C, H, W) uint8: a camera panning over, rotating about, or zooming into a photo.

    Returns {"tensor", "shape": [T, C, H, W], "frames": T arrays (H, W, 3) uint8, "numel", "bytes_uint8",
    "bytes_float32", "change": mean absolute difference between consecutive frames (0–255 scale)}.
    """
    frames = to_int(frames, "frames", 2, 16)
    side = to_int(side, "side", 16, 256)
    if motion not in MOTIONS:
        raise InputError(en=f"Unknown motion {brief(motion)}; available: {', '.join(MOTIONS)}.",
                         ru=f"Нет движения {brief(motion)}; есть такие: {', '.join(MOTIONS)}.")
    photo = samples.load_sample(sample, 2 * side)
    width, height = photo.size
    crop = min(side, height, width)
    shots = []
    for t in range(frames):
        progress = t / (frames - 1)
        if motion == "pan":
            left = round(progress * (width - crop))
            top = (height - crop) // 2
            shot = photo.crop((left, top, left + crop, top + crop))
        elif motion == "rotate":
            turned = photo.rotate(progress * 45, resample=Image.Resampling.BILINEAR)
            left, top = (width - crop) // 2, (height - crop) // 2
            shot = turned.crop((left, top, left + crop, top + crop))
        else:
            box = crop * (1 - 0.5 * progress)  # zoom in to 2× over the clip
            left, top = (width - box) / 2, (height - box) / 2
            shot = photo.resize((crop, crop), Image.Resampling.BILINEAR, box=(left, top, left + box, top + box))
        shots.append(torch.from_numpy(np.asarray(shot.convert("RGB")).copy()).permute(2, 0, 1))  # (C, H, W)
    video = torch.stack(shots)  # (T, C, H, W)
    change = (video[1:].double() - video[:-1].double()).abs().mean(dim=(1, 2, 3))
    return {
        "tensor": video,
        "shape": list(video.shape),
        "frames": [f.permute(1, 2, 0).numpy() for f in video],
        "numel": video.numel(),
        "bytes_uint8": video.numel() * video.element_size(),
        "bytes_float32": video.numel() * 4,
        "change": change.tolist(),
    }


def neighbour_correlation(gray: np.ndarray, max_distance: int) -> dict:
    """Pearson correlation between each pixel and the pixel d to its right (and d below), d = 1 … max_distance.

    Returns {"distances", "horizontal", "vertical"} computed with torch.corrcoef over all pixel pairs.
    """
    image = torch.as_tensor(np.asarray(gray, dtype=np.float64))
    if image.ndim != 2:
        raise InputError(en="Expected a grayscale image (H, W).", ru="Нужно изображение в оттенках серого (H, W).")
    max_distance = to_int(max_distance, "max_distance", 1, min(image.shape) - 2)
    distances = list(range(1, max_distance + 1))
    horizontal, vertical = [], []
    for d in distances:
        pairs_h = torch.stack([image[:, :-d].reshape(-1), image[:, d:].reshape(-1)])
        pairs_v = torch.stack([image[:-d, :].reshape(-1), image[d:, :].reshape(-1)])
        horizontal.append(float(torch.corrcoef(pairs_h)[0, 1]))
        vertical.append(float(torch.corrcoef(pairs_v)[0, 1]))
    return {"distances": distances, "horizontal": horizontal, "vertical": vertical}


@lru_cache(maxsize=32)
def sample_correlation(sample: str, side: int, max_distance: int) -> dict:
    """neighbour_correlation of a sample photo in grayscale, longer side `side` (cached: photos do not change)."""
    return neighbour_correlation(samples.load_sample_gray(sample, side), max_distance)
