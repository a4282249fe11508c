"""The web console: server-rendered screens for staff, served by the gateway at `/`.

It reaches the services only through the public `/api`, as the signed-in user (see CONSOLE.md).
"""
