# Loaded when the ZeekArrow::Arrow plugin is activated.
@load ./ZeekArrow/Arrow
