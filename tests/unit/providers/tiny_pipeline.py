"""A tiny but real Stable Diffusion pipeline, built from configs with no downloads.

Random weights (fixed by a seed), a few thousand parameters: it makes noise-like pictures,
but every part is the real thing — CLIP tokenizer and text encoder, UNet, VAE, scheduler —
so the provider's loading, denoising, callbacks and decoding paths all run for real.
``save_tiny_pipeline`` writes it in the diffusers folder layout (``model_index.json`` and one
sub-folder per component), which is what the provider loads.

Shared by ``tests/unit/providers/test_diffusers.py`` and ``bench/diffusers_overhead.py``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

#: Words of the tiny tokenizer. Any other word is spelled out letter by letter.
_WORDS = ("a", "cat", "dog", "red", "blue", "lake", "night", "forest", "city", "photo", "of")
_LETTERS = "abcdefghijklmnopqrstuvwxyz0123456789"


@dataclass(frozen=True)
class TinyConfig:
    """Sizes of the tiny pipeline. The defaults make a step take a few milliseconds."""

    unet_channels: tuple[int, ...] = (8, 16)
    layers_per_block: int = 1
    attention_head_dim: int = 2
    text_hidden: int = 16
    text_layers: int = 1
    #: Four VAE blocks, as in Stable Diffusion: three downsamplings, so latents are 1/8 of
    #: the image's side (64x64 pixels ↔ 8x8 latents).
    vae_channels: tuple[int, ...] = (8, 8, 8, 8)
    sample_size: int = 8  # the latent side the UNet is configured for
    seed: int = 0


def write_tokenizer_files(folder: Path) -> tuple[Path, Path]:
    """A small CLIP-style byte-pair vocabulary: ``vocab.json`` and ``merges.txt``."""
    folder.mkdir(parents=True, exist_ok=True)
    tokens: list[str] = ["<|startoftext|>", "<|endoftext|>"]
    tokens += list(_LETTERS) + [f"{c}</w>" for c in _LETTERS]
    merges: list[str] = []
    for word in _WORDS:
        # Merge the word left to right: "c a" → "ca", "ca t</w>" → "cat</w>".
        pieces = [*word[:-1], f"{word[-1]}</w>"]
        while len(pieces) > 1:
            merged = pieces[0] + pieces[1]
            rule = f"{pieces[0]} {pieces[1]}"
            if rule not in merges:
                merges.append(rule)
            if merged not in tokens:
                tokens.append(merged)
            pieces = [merged, *pieces[2:]]
    vocab = {token: i for i, token in enumerate(tokens)}
    vocab_file = folder / "vocab.json"
    merges_file = folder / "merges.txt"
    vocab_file.write_text(json.dumps(vocab), encoding="utf-8")
    merges_file.write_text("#version: 0.2\n" + "\n".join(merges) + "\n", encoding="utf-8")
    return vocab_file, merges_file


def build_tiny_pipeline(work: Path, config: TinyConfig = TinyConfig()) -> Any:
    """A real ``StableDiffusionPipeline`` with tiny random weights (deterministic)."""
    import torch
    from diffusers import (
        AutoencoderKL,
        DDIMScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    vocab_folder = work / "vocab"
    write_tokenizer_files(vocab_folder)
    # Loaded the way a user's tokenizer folder is: from vocab.json + merges.txt on disk.
    tokenizer = CLIPTokenizer.from_pretrained(
        str(vocab_folder), local_files_only=True, model_max_length=77
    )
    n_blocks = len(config.unet_channels)
    torch.manual_seed(config.seed)
    unet = UNet2DConditionModel(
        block_out_channels=config.unet_channels,
        layers_per_block=config.layers_per_block,
        sample_size=config.sample_size,
        in_channels=4,
        out_channels=4,
        down_block_types=("DownBlock2D",) + ("CrossAttnDownBlock2D",) * (n_blocks - 1),
        up_block_types=("CrossAttnUpBlock2D",) * (n_blocks - 1) + ("UpBlock2D",),
        cross_attention_dim=config.text_hidden,
        attention_head_dim=config.attention_head_dim,
        norm_num_groups=min(config.unet_channels),
    )
    torch.manual_seed(config.seed + 1)
    n_vae = len(config.vae_channels)
    vae = AutoencoderKL(
        block_out_channels=config.vae_channels,
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D",) * n_vae,
        up_block_types=("UpDecoderBlock2D",) * n_vae,
        latent_channels=4,
        norm_num_groups=min(config.vae_channels),
        sample_size=config.sample_size * 8,
    )
    torch.manual_seed(config.seed + 2)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(tokenizer),
            hidden_size=config.text_hidden,
            intermediate_size=config.text_hidden * 2,
            num_hidden_layers=config.text_layers,
            num_attention_heads=2,
            max_position_embeddings=77,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
        )
    )
    scheduler = DDIMScheduler(
        beta_start=0.00085,
        beta_end=0.012,
        beta_schedule="scaled_linear",
        clip_sample=False,
        set_alpha_to_one=False,
        steps_offset=1,
    )
    return StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        image_encoder=None,
        requires_safety_checker=False,
    )


def save_tiny_pipeline(folder: Path, config: TinyConfig = TinyConfig()) -> Path:
    """Build the tiny pipeline and save it in the diffusers folder layout at ``folder``."""
    pipe = build_tiny_pipeline(folder.parent / f"{folder.name}-build", config)
    pipe.save_pretrained(str(folder))
    return folder
