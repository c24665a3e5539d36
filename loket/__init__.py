"""The ``loket`` command and the demo: the composition root.

``core`` is the pure domain (stdlib only), ``hub`` the server, ``node`` the device agent. This
package is the one place that composes them: the command line dispatches to ``hub.commands`` and
``node.commands``, and ``loket demo`` runs a hub and nodes in one process. It imports ``hub`` and
``node`` lazily, inside functions, so ``loket config check`` works on a Pi without Flask and on a
hub without gpiozero. Nothing imports this package (a layering test checks it).
"""
