"""One small interface per device, each with a shipped fake and real backends chosen by name.

Hardware libraries (gpiozero, luma, pyserial) are imported only inside constructors and
factory functions, so importing this package never touches a device or needs a driver.
"""
