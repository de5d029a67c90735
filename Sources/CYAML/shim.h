// libyaml's parser (Debian's libyaml-dev), read by Conformance's YAMLComposer. Linked from its static archive
// in Package.swift, so no shared library is loaded at start-up.
#ifndef ADAPTEST_CYAML_SHIM_H
#define ADAPTEST_CYAML_SHIM_H

#include <yaml.h>

#endif
