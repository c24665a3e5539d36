"""Role logic of a node: kiosk, counter, hall display. No hardware imports here."""
