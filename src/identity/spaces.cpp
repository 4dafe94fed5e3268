#include "ris/identity/spaces.hpp"

#include <algorithm>

#include "members_repository.hpp"
#include "ris/core/ids.hpp"
#include "ris/core/time.hpp"
#include "roles_repository.hpp"
#include "spaces_repository.hpp"

namespace ris::identity {
namespace {
Failure no_such_space() {
  return fail(Errc::not_found, "no such space");
}

Result<Space> find(store::Store& store, std::string_view id) {
  RIS_TRY(auto space, SpacesRepository(store).find(id));
  if (!space)
    return no_such_space();
  return std::move(*space);
}

Result<void> validate_description(std::string_view d) {
  if (d.size() > 1000)
    return fail(Errc::invalid_argument, "description must be at most 1000 characters");
  return {};
}

Result<void> owner_only(const SpaceAccess& a, std::string_view what) {
  if (!a.is_member)
    return fail(Errc::not_found, "no such space");
  if (!a.member.is_owner)
    return fail(Errc::forbidden, "only the space's owner can " + std::string(what));
  return {};
}
}  // namespace

Result<void> validate_space_name(std::string_view name) {
  if (name.empty() || name.size() > 100)
    return fail(Errc::invalid_argument, "space name must be 1 to 100 characters");
  if (name.find_first_of("\r\n\t") != std::string_view::npos)
    return fail(Errc::invalid_argument, "space name must be on one line");
  return {};
}

Result<void> add_member(store::Store& tx, std::string_view space_id, std::string_view account_id) {
  MembersRepository members(tx);
  RIS_TRY(const bool banned, members.is_banned(space_id, account_id));
  if (banned)
    return fail(Errc::forbidden, "you are banned from this space");
  RIS_TRY(const bool existing, members.is_member(space_id, account_id));
  if (existing)
    return fail(Errc::conflict, "already a member of this space");
  RIS_TRY(const int64_t count, members.count_spaces_of(account_id));
  if (count >= kMaxSpacesPerAccount)
    return fail(Errc::conflict, "an account can be in at most " +
                                    std::to_string(kMaxSpacesPerAccount) +
                                    " spaces; leave one first");
  return members.insert(space_id, account_id, now_rfc3339());
}

Result<Space> Spaces::create(const Principal& caller, std::string name, std::string description,
                             bool is_public) {
  if (caller.token)
    return fail(Errc::forbidden, "API tokens cannot create spaces");
  RIS_TRY_VOID(validate_space_name(name));
  RIS_TRY_VOID(validate_description(description));
  Space space;
  space.id = new_id();
  space.name = std::move(name);
  space.description = std::move(description);
  space.is_public = is_public;
  space.owner_id = caller.account_id;
  space.created_at = now_rfc3339();
  std::optional<Space> out;
  auto r = store_.transaction([&](store::Store& tx) -> Result<void> {
    out.reset();
    RIS_TRY_VOID(SpacesRepository(tx).insert(space));
    // The @everyone role shares the space's id.
    RIS_TRY_VOID(RolesRepository(tx).insert(
        StoredRole{space.id, space.id, "@everyone", "", 0, kDefaultEveryone, space.created_at}));
    RIS_TRY_VOID(add_member(tx, space.id, caller.account_id));
    RIS_TRY(auto s, find(tx, space.id));
    out = std::move(s);
    return {};
  });
  if (!r)
    return fail(r.error());
  return std::move(*out);
}

Result<Space> Spaces::get(const SpaceAccess& access) {
  return find(store_, access.space_id);
}

Result<Space> Spaces::update(const SpaceAccess& access, const SpaceChanges& c) {
  RIS_TRY_VOID(require(access, kManageSpace));
  if (c.name)
    RIS_TRY_VOID(validate_space_name(*c.name));
  if (c.description)
    RIS_TRY_VOID(validate_description(*c.description));
  RIS_TRY_VOID(SpacesRepository(store_).update(access.space_id, c));
  return find(store_, access.space_id);
}

Result<void> Spaces::remove(const SpaceAccess& access) {
  RIS_TRY_VOID(owner_only(access, "delete it"));
  RIS_TRY(const bool removed, SpacesRepository(store_).remove(access.space_id));
  (void)removed;
  return {};
}

Result<void> Spaces::remove_any(std::string_view space_id) {
  RIS_TRY(const bool removed, SpacesRepository(store_).remove(space_id));
  if (!removed)
    return no_such_space();
  return {};
}

Result<void> Spaces::transfer(const SpaceAccess& access, std::string_view new_owner_id) {
  RIS_TRY_VOID(owner_only(access, "hand it over"));
  RIS_TRY(const bool member, MembersRepository(store_).is_member(access.space_id, new_owner_id));
  if (!member)
    return fail(Errc::invalid_argument, "the new owner must be a member of the space");
  return SpacesRepository(store_).set_owner(access.space_id, new_owner_id);
}

Result<std::vector<Space>> Spaces::browse(std::string_view query, int limit) {
  return SpacesRepository(store_).browse_public(query, std::clamp(limit, 1, 100));
}

Result<std::vector<Space>> Spaces::of_account(std::string_view account_id) {
  return SpacesRepository(store_).of_account(account_id);
}

Result<void> Spaces::join(const Principal& caller, std::string_view space_id) {
  if (caller.token)
    return fail(Errc::forbidden, "API tokens cannot join spaces");
  return store_.transaction([&](store::Store& tx) -> Result<void> {
    RIS_TRY(auto space, SpacesRepository(tx).header(space_id));
    if (!space || !space->is_public)
      return no_such_space();  // private spaces are joined by invitation only
    return add_member(tx, space_id, caller.account_id);
  });
}

Result<void> Spaces::leave(const SpaceAccess& access) {
  if (!access.is_member)
    return no_such_space();
  if (access.member.is_owner)
    return fail(Errc::conflict, "the owner cannot leave: transfer the space or delete it first");
  return MembersRepository(store_).remove(access.space_id, access.member.account_id);
}

}  // namespace ris::identity
