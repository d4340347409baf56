"""Search drivers built on exprc: population evaluation, symbolic regression and the discovery of
float32 approximations. Installed as exprc.search."""
