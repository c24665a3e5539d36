"""The device agent that runs on each counter, kiosk and hall-display Raspberry Pi."""
