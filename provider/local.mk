# The p11tee OpenSSL 3 provider: a convenience archive linked into
# libp11tee (loaded there as a built-in into a private OSSL_LIB_CTX), and the
# loadable module p11tee.so installed into OpenSSL's modules directory.
