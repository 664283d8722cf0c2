// SPDX-License-Identifier: Apache-2.0
// Reading a library's ELF dynamic section: is it a shared object for this
// machine, which libraries does it need, and can ld.so find them.
#include "elf_reader.hpp"

#include <dlfcn.h>
#include <elf.h>
#include <glob.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>

#include "join.hpp"

namespace dbridge::inline v1::detail {

namespace fs = std::filesystem;

namespace {

bool pread_all(int fd, void* buf, std::size_t len, std::uint64_t off) {
  auto* p = static_cast<char*>(buf);
  while (len > 0) {
    ssize_t n = ::pread(fd, p, len, static_cast<off_t>(off));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    p += n;
    len -= static_cast<std::size_t>(n);
    off += static_cast<std::uint64_t>(n);
  }
  return true;
}

std::uint16_t host_machine() {
#if defined(__x86_64__)
  return EM_X86_64;
#elif defined(__aarch64__)
  return EM_AARCH64;
#elif defined(__riscv)
  return EM_RISCV;
#elif defined(__powerpc64__)
  return EM_PPC64;
#elif defined(__s390x__)
  return EM_S390;
#else
  return EM_NONE;
#endif
}

std::vector<std::string> split_path_list(const std::string& s) {
  std::vector<std::string> out;
  std::size_t i = 0;
  while (i <= s.size()) {
    std::size_t e = s.find_first_of(":;", i);
    if (e == std::string::npos) e = s.size();
    if (e > i) out.push_back(s.substr(i, e - i));
    i = e + 1;
  }
  return out;
}

void read_ld_so_conf(const fs::path& file, std::vector<std::string>& out, int depth) {
  if (depth > 8) return;
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (auto hash = line.find('#'); hash != std::string::npos) line.resize(hash);
    auto b = line.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    line = line.substr(b, line.find_last_not_of(" \t") - b + 1);
    if (line.rfind("include", 0) == 0 && line.size() > 8 && (line[7] == ' ' || line[7] == '\t')) {
      std::string pattern = line.substr(8);
      pattern = pattern.substr(pattern.find_first_not_of(" \t"));
      if (pattern[0] != '/') pattern = (file.parent_path() / pattern).string();
      glob_t g{};
      if (::glob(pattern.c_str(), 0, nullptr, &g) == 0) {
        for (std::size_t i = 0; i < g.gl_pathc; ++i) read_ld_so_conf(g.gl_pathv[i], out, depth + 1);
      }
      ::globfree(&g);
    } else if (line[0] == '/') {
      out.push_back(line);
    }
  }
}

// The folders ld.so searches after RPATH/LD_LIBRARY_PATH/RUNPATH: those of
// ld.so.conf (what ld.so.cache is built from) and the built-in defaults.
const std::vector<std::string>& system_library_dirs() {
  static const std::vector<std::string> dirs = [] {
    std::vector<std::string> d;
    read_ld_so_conf("/etc/ld.so.conf", d, 0);
    for (const char* p : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                          "/usr/lib/aarch64-linux-gnu", "/lib64", "/usr/lib64", "/lib", "/usr/lib"})
      d.emplace_back(p);
    return d;
  }();
  return dirs;
}

bool library_findable(const std::string& soname, const std::vector<std::string>& rpath,
                      const std::vector<std::string>& runpath, const fs::path& origin) {
  std::error_code ec;
  if (soname.find('/') != std::string::npos) return fs::exists(soname, ec);
  // Already in the process (e.g. libc): found without any search.
  if (void* h = ::dlopen(soname.c_str(), RTLD_LAZY | RTLD_NOLOAD)) {
    ::dlclose(h);
    return true;
  }
  auto expand = [&](std::string dir) {
    for (const char* token : {"$ORIGIN", "${ORIGIN}"}) {
      for (auto pos = dir.find(token); pos != std::string::npos; pos = dir.find(token)) {
        dir.replace(pos, std::strlen(token), origin.string());
      }
    }
    return dir;
  };
  std::vector<std::string> dirs;
  if (runpath.empty()) dirs.insert(dirs.end(), rpath.begin(), rpath.end());
  if (const char* llp = ::secure_getenv("LD_LIBRARY_PATH")) {
    for (auto& d : split_path_list(llp)) dirs.push_back(d);
  }
  dirs.insert(dirs.end(), runpath.begin(), runpath.end());
  const auto& sys = system_library_dirs();
  dirs.insert(dirs.end(), sys.begin(), sys.end());
  for (const auto& d : dirs) {
    if (fs::exists(fs::path(expand(d)) / soname, ec)) return true;
  }
  return false;
}

}  // namespace

elf_dependencies read_elf_dependencies(int fd, const fs::path& real_path) {
  elf_dependencies out;
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    out.problem = std::string("cannot stat: ") + std::strerror(errno);
    return out;
  }
  const auto size = static_cast<std::uint64_t>(st.st_size);
  unsigned char ident[EI_NIDENT] = {};
  if (size < sizeof(Elf64_Ehdr) || !pread_all(fd, ident, sizeof ident, 0) ||
      std::memcmp(ident, ELFMAG, SELFMAG) != 0) {
    out.problem = "is not a shared library (no ELF header; the file may be a text file, a linker script or corrupt)";
    return out;
  }
  if (ident[EI_CLASS] != ELFCLASS64 || sizeof(void*) != 8) {
    out.problem = "is a 32-bit ELF file; this process is 64-bit";
    return out;
  }
  if (ident[EI_DATA] != ELFDATA2LSB) {
    out.problem = "has a byte order this machine does not use";
    return out;
  }
  Elf64_Ehdr eh{};
  if (!pread_all(fd, &eh, sizeof eh, 0)) {
    out.problem = "has a truncated ELF header";
    return out;
  }
  if (eh.e_type != ET_DYN) {
    out.problem = "is an ELF file but not a shared object (e.g. an executable or object file)";
    return out;
  }
  if (host_machine() != EM_NONE && eh.e_machine != host_machine()) {
    out.problem = "is built for another CPU architecture (ELF machine " + std::to_string(eh.e_machine) +
                  ", this process is " + std::to_string(host_machine()) + ")";
    return out;
  }
  if (eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum == 0 || eh.e_phnum > 4096 ||
      eh.e_phoff + std::uint64_t{eh.e_phnum} * sizeof(Elf64_Phdr) > size) {
    out.problem = "has a corrupt program header table";
    return out;
  }
  std::vector<Elf64_Phdr> ph(eh.e_phnum);
  if (!pread_all(fd, ph.data(), ph.size() * sizeof(Elf64_Phdr), eh.e_phoff)) {
    out.problem = "has a truncated program header table";
    return out;
  }
  out.ok = true;
  const Elf64_Phdr* dyn = nullptr;
  for (const auto& p : ph)
    if (p.p_type == PT_DYNAMIC) dyn = &p;
  if (dyn == nullptr) return out;  // no dependencies at all
  if (dyn->p_offset + dyn->p_filesz > size || dyn->p_filesz > (1u << 20)) {
    out.ok = false;
    out.problem = "has a corrupt dynamic section";
    return out;
  }
  std::vector<Elf64_Dyn> entries(dyn->p_filesz / sizeof(Elf64_Dyn));
  if (!pread_all(fd, entries.data(), entries.size() * sizeof(Elf64_Dyn), dyn->p_offset)) {
    out.ok = false;
    out.problem = "has a truncated dynamic section";
    return out;
  }
  std::uint64_t strtab = 0, strsz = 0;
  std::vector<std::uint64_t> needed, rpath, runpath;
  for (const auto& d : entries) {
    if (d.d_tag == DT_NULL) break;
    switch (d.d_tag) {
      case DT_NEEDED: needed.push_back(d.d_un.d_val); break;
      case DT_STRTAB: strtab = d.d_un.d_ptr; break;
      case DT_STRSZ: strsz = d.d_un.d_val; break;
      case DT_RPATH: rpath.push_back(d.d_un.d_val); break;
      case DT_RUNPATH: runpath.push_back(d.d_un.d_val); break;
      default: break;
    }
  }
  // DT_STRTAB is a virtual address: find the file offset through PT_LOAD.
  std::uint64_t str_off = 0;
  bool mapped = false;
  for (const auto& p : ph) {
    if (p.p_type == PT_LOAD && strtab >= p.p_vaddr && strtab < p.p_vaddr + p.p_filesz) {
      str_off = strtab - p.p_vaddr + p.p_offset;
      mapped = true;
    }
  }
  if (!mapped || strsz == 0 || strsz > (16u << 20) || str_off + strsz > size) {
    if (!needed.empty()) {
      out.ok = false;
      out.problem = "has a corrupt dynamic string table";
    }
    return out;
  }
  std::string strings(strsz, '\0');
  if (!pread_all(fd, strings.data(), strsz, str_off)) {
    out.ok = false;
    out.problem = "has a truncated dynamic string table";
    return out;
  }
  auto str_at = [&](std::uint64_t off) -> std::string {
    if (off >= strings.size()) return {};
    return std::string(strings.c_str() + off);
  };
  std::vector<std::string> rp, rup;
  for (auto o : rpath)
    for (auto& d : split_path_list(str_at(o))) rp.push_back(d);
  for (auto o : runpath)
    for (auto& d : split_path_list(str_at(o))) rup.push_back(d);
  for (auto o : needed) {
    std::string name = str_at(o);
    if (name.empty()) continue;
    out.needed.push_back(name);
    if (!library_findable(name, rp, rup, real_path.parent_path())) out.missing.push_back(name);
  }
  return out;
}

std::string missing_library_fix(const std::vector<std::string>& sonames) {
  static const std::map<std::string, std::string> packages = {
      {"libpq.so.5", "libpq5"},           {"libmariadb.so.3", "libmariadb3"},
      {"libhiredis.so.0.14", "libhiredis0.14"}, {"libsqlite3.so.0", "libsqlite3-0"},
      {"libssl.so.3", "libssl3"},         {"libcrypto.so.3", "libssl3"},
      {"libstdc++.so.6", "libstdc++6"},   {"libz.so.1", "zlib1g"},
  };
  std::vector<std::string> pkgs, unknown;
  for (const auto& s : sonames) {
    auto it = packages.find(s);
    if (it != packages.end()) {
      if (std::find(pkgs.begin(), pkgs.end(), it->second) == pkgs.end()) pkgs.push_back(it->second);
    } else {
      unknown.push_back(s);
    }
  }
  std::string fix;
  if (!pkgs.empty()) fix = "install the missing libraries: apt-get install " + join(pkgs, " ");
  if (!unknown.empty()) {
    if (!fix.empty()) fix += "; ";
    fix += "install the package that provides " + join(unknown) +
           " (find it with `apt-file search " + unknown.front() +
           "`), or add the folder holding it to LD_LIBRARY_PATH";
  }
  return fix;
}

}  // namespace dbridge::detail
