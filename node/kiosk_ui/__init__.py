"""The kiosk's touchscreen (pygame) and the words every kiosk shows or prints.

``words`` and ``layout`` import no pygame: the role prints refusal slips with the same words
the screen shows, and the layout is plain arithmetic a test can check at any resolution.
``screens`` draws, ``app`` runs the loop and turns touches, clicks and a scanner's lines into
calls on the kiosk role.
"""
