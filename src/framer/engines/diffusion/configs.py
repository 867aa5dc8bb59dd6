"""Configs of the released models, as data: for architecture checks, the GPU benchmark and training from scratch.

Loading never uses these (each folder's own ``config.json`` is the truth); they describe what those files hold.
"""

from __future__ import annotations

__all__ = [
    "CLIP_MEAN",
    "CLIP_STD",
    "CLIP_VIT_H_CONFIG",
    "RELEASE_CONTROLNET_CONFIG",
    "RELEASE_UNET_CONFIG",
    "SVD_SCHEDULER_CONFIG",
    "SVD_VAE_CONFIG",
]

# Framer's UNet (framer_512x320/unet): SVD-XT's UNet with a 9-channel input.
RELEASE_UNET_CONFIG: dict = {
    "in_channels": 9,
    "out_channels": 4,
    "block_out_channels": [320, 640, 1280, 1280],
    "num_attention_heads": [5, 10, 20, 20],
    "cross_attention_dim": 1024,
    "addition_time_embed_dim": 256,
    "projection_class_embeddings_input_dim": 768,
    "layers_per_block": 2,
    "transformer_layers_per_block": 1,
    "sample_size": 96,
    "num_frames": 14,
}

# Framer's ControlNet (framer_512x320/controlnet): a copy of the UNet's encoder plus the heatmap encoder.
RELEASE_CONTROLNET_CONFIG: dict = {
    **{key: value for key, value in RELEASE_UNET_CONFIG.items() if key != "out_channels"},
    "conditioning_channels": 3,
    "conditioning_embedding_out_channels": [16, 32, 96, 256],
}

# SVD-XT's VAE (vae/config.json).
SVD_VAE_CONFIG: dict = {
    "in_channels": 3,
    "out_channels": 3,
    "down_block_types": ["DownEncoderBlock2D"] * 4,
    "block_out_channels": [128, 256, 512, 512],
    "layers_per_block": 2,
    "latent_channels": 4,
    "sample_size": 768,
    "scaling_factor": 0.18215,
    "force_upcast": True,
}

# SVD-XT's image encoder (image_encoder/config.json): CLIP ViT-H/14 with a 1024-d projection.
CLIP_VIT_H_CONFIG: dict = {
    "hidden_size": 1280,
    "intermediate_size": 5120,
    "num_attention_heads": 16,
    "num_hidden_layers": 32,
    "patch_size": 14,
    "image_size": 224,
    "projection_dim": 1024,
    "hidden_act": "gelu",
    "layer_norm_eps": 1e-5,
}
CLIP_MEAN = (0.48145466, 0.4578275, 0.40821073)
CLIP_STD = (0.26862954, 0.26130258, 0.27577711)

# SVD-XT's scheduler (scheduler/scheduler_config.json): EDM Euler, v-prediction, Karras sigmas.
SVD_SCHEDULER_CONFIG: dict = {
    "beta_start": 0.00085,
    "beta_end": 0.012,
    "beta_schedule": "scaled_linear",
    "interpolation_type": "linear",
    "num_train_timesteps": 1000,
    "prediction_type": "v_prediction",
    "sigma_max": 700.0,
    "sigma_min": 0.002,
    "steps_offset": 1,
    "timestep_spacing": "leading",
    "timestep_type": "continuous",
    "use_karras_sigmas": True,
}
