"""Station data files of Circular 10/2021/TT-BTNMT (and the older 5417/BTNMT-TCMT names)."""
