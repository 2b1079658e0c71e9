## Las páginas de inicio de sesión y de la cuenta, en español. Todos los catálogos tienen los mismos ids.

site-name = chronid
skip-to-content = Saltar al contenido
language-label = Idioma
footer-terms = Condiciones del servicio
footer-privacy = Privacidad
required-mark = obligatorio

## Iniciar sesión
login-title = Iniciar sesión
login-heading = Inicia sesión en tu cuenta
login-heading-account = Inicia sesión en { $account }
login-field-login = Correo electrónico o nombre de usuario
login-field-password = Contraseña
login-submit = Iniciar sesión
login-forgot = ¿Has olvidado tu contraseña?
login-failed = El correo electrónico, el nombre de usuario o la contraseña no son correctos.
login-locked = Este usuario está bloqueado. Vuelve a intentarlo más tarde o pide a tu administrador que lo desbloquee.
login-disabled = Este usuario está desactivado. Consulta a tu administrador.
login-method-not-allowed = Esta cuenta no permite iniciar sesión con contraseña.
login-not-this-account = Este usuario no pertenece a esta cuenta.
login-again = Volver a iniciar sesión
logged-out = Has cerrado la sesión.
session-ended = Tu sesión ha finalizado. Vuelve a iniciar sesión.
field-required = Rellena este campo.
field-too-long = Es demasiado largo.

## Elegir cuenta
choose-title = Elegir cuenta
choose-intro = Tu correo electrónico y tu contraseña sirven para varias cuentas. ¿Cuál quieres usar?
choose-submit = Continuar
login-expired = El inicio de sesión ha tardado demasiado. Vuelve a iniciar sesión.

## El segundo factor
code-title = Código de verificación
code-intro-email = Te hemos enviado un código de verificación a tu correo electrónico.
code-intro-sms = Te hemos enviado un código de verificación por SMS a tu teléfono.
code-intro-voice = Te estamos llamando al teléfono para leerte un código de verificación.
code-intro-totp = Abre tu aplicación de autenticación e introduce el código que muestra.
code-field = Código
code-hint = Seis dígitos.
code-submit = Verificar
code-tries-left = { $tries ->
    [one] Te queda { $tries } intento.
   *[other] Te quedan { $tries } intentos.
}
code-wrong = El código no es correcto.
code-reused = Este código ya se ha usado. Espera al siguiente.
code-exhausted = Demasiados códigos incorrectos. Vuelve a iniciar sesión para recibir uno nuevo.
code-invalid-format = Un código tiene seis dígitos.
code-resend = Enviar un código nuevo
code-resend-note = ¿No lo has recibido? Puedes pedir un código nuevo, como máximo { $tries } cada 15 minutos.
code-trust-note = Cuando superes este paso, este navegador se recordará como dispositivo de confianza.

## Configuración de la aplicación de autenticación exigida por un administrador
enrol-title = Configura tu aplicación de autenticación
enrol-intro = Tu administrador exige una aplicación de autenticación. Escanea la imagen con la aplicación o introduce la clave y, después, escribe el código que muestra.
enrol-qr-alt = Código QR para escanear con tu aplicación de autenticación
enrol-key = Clave para introducir manualmente
enrol-submit = Confirmar

## Cambio de contraseña obligatorio
change-title = Elige una contraseña nueva
change-intro = Tu contraseña ha caducado. Elige una nueva.
field-new-password = Contraseña nueva
field-new-password-repeat = Repite la contraseña nueva
password-rule = Al menos { $min } caracteres.
password-mismatch = Las dos contraseñas no coinciden.
password-too-short = La contraseña debe tener al menos { $min } caracteres.
change-submit = Guardar contraseña
password-changed = Tu contraseña se ha cambiado. Inicia sesión con ella.

## Contraseña olvidada y restablecimiento
forgot-title = ¿Has olvidado tu contraseña?
forgot-intro = Introduce tu correo electrónico o nombre de usuario. Si corresponde a un usuario, te enviaremos un enlace para elegir una contraseña nueva.
forgot-submit = Enviar enlace
forgot-sent = Si este usuario existe, te hemos enviado un enlace. Solo funciona una vez y durante una hora.
forgot-back = Volver al inicio de sesión
reset-title = Restablece tu contraseña
reset-intro = Elige una contraseña nueva para tu cuenta.
reset-submit = Guardar contraseña
reset-invalid = Este enlace ya no es válido. Solicita uno nuevo.

## Las páginas de la cuenta
account-title = Mi perfil
account-nav = Cuenta
tab-profile = Perfil
tab-security = Seguridad
profile-name = Nombre
profile-email = Correo electrónico
profile-username = Nombre de usuario
profile-phone = Teléfono
profile-language = Idioma
profile-account = Cuenta
profile-roles = Roles
profile-none = Sin definir
logout = Cerrar sesión
saved = Guardado.

## La pestaña Seguridad
totp-heading = Aplicación de autenticación
totp-on = Hay una aplicación de autenticación configurada.
totp-off = No hay ninguna aplicación de autenticación configurada.
totp-pending = Escanea la imagen con tu aplicación de autenticación y confirma con el código que muestra.
totp-enable = Configurar una aplicación de autenticación
totp-confirm = Confirmar
totp-reset = Restablecer la aplicación de autenticación
totp-reset-help = Introduce el código actual; la aplicación recibirá una clave nueva para escanear.
totp-disable = Desactivar la aplicación de autenticación
totp-disable-help = Introduce el código actual para desactivar la aplicación de autenticación.
totp-enabled = Tu aplicación de autenticación está configurada.
totp-disabled = Tu aplicación de autenticación está desactivada.
totp-wrong = El código no es correcto.
two-factor-required-note = Tu usuario necesita un segundo factor en los dispositivos nuevos.
channel-heading = Dónde se envían los códigos
channel-email = Correo electrónico
channel-sms = SMS
channel-voice = Llamada de voz
channel-totp = Aplicación de autenticación
channel-save = Guardar
channel-needs-phone = Primero añade un número de teléfono (consulta a tu administrador).
channel-needs-totp = Primero configura la aplicación de autenticación.
password-heading = Cambiar contraseña
field-current-password = Contraseña actual
password-wrong = La contraseña actual no es correcta.
sessions-heading = Sesiones abiertas
session-this = Esta sesión
session-opened = Abierta
session-last-seen = Último uso
session-expires = Finaliza
session-revoke = Finalizar sesión
sessions-none = No hay otras sesiones.
devices-heading = Dispositivos de confianza
devices-intro = En estos dispositivos no se pide código de verificación hasta que caduque la confianza.
device-this = Este dispositivo
device-trusted-until = De confianza hasta
device-revoke = Olvidar dispositivo
devices-none = No hay dispositivos de confianza.
unknown = desconocido

## Errores que puede mostrar cualquier página
error-title = Algo ha salido mal
error-csrf = Este formulario ha caducado. Vuelve a cargar la página e inténtalo de nuevo.
error-rate = Demasiados intentos desde tu dirección. Espera { $secs } segundos y vuelve a intentarlo.
error-internal = Algo ha salido mal por nuestra parte. Vuelve a intentarlo en un momento.
error-other = No se ha podido completar ({ $code }).
not-found-title = Página no encontrada
not-found-text = No hay ninguna página en esta dirección.
password-reused = Elige una contraseña que no hayas usado antes.
totp-required-by-admin = Tu administrador exige una aplicación de autenticación: no se puede desactivar.
code-sent = Un código nuevo está en camino.
code-too-many = Se han enviado demasiados códigos. Espera { $secs } segundos y vuelve a pedirlo.

## Inicio de sesión único
login-sso-link = Iniciar sesión con SSO
sso-title = Iniciar sesión con SSO
sso-intro = Introduce tu correo electrónico para iniciar sesión con el proveedor de identidad de tu organización.
sso-field-email = Correo electrónico
sso-submit = Continuar
sso-field-sp-url = URL de inicio del SP
sso-sp-url-intro = Introduce la URL de inicio del SP que te dio tu administrador. Tiene este aspecto: { $example }
sso-sp-url-invalid = No es una URL de inicio del SP de este servicio.
sso-choose-intro = Eres usuario de varias cuentas que inician sesión con este proveedor de identidad. ¿Cuál quieres usar?
sso-refused-title = El inicio de sesión único no se completó
sso-refused-response = No se pudo aceptar la respuesta del proveedor de identidad. Vuelve a empezar desde tu URL de inicio del SP; si vuelve a ocurrir, avisa a tu administrador.
sso-refused-stale = Este inicio de sesión ha caducado o ya se usó. Vuelve a empezar desde tu URL de inicio del SP.
sso-refused-unknown-user = No hay ningún usuario con tu correo electrónico en esta cuenta. Pide a un administrador de la cuenta que cree uno.
sso-refused-not-allowed = Esta cuenta no permite iniciar sesión con inicio de sesión único.
sso-refused-user = Tu usuario está bloqueado o desactivado. Consulta a un administrador de tu cuenta.
sso-refused-idp = El proveedor de identidad no inició tu sesión.
sso-refused-reference = Referencia: { $code }
sso-groups-title = Tus equipos han cambiado
sso-groups-intro = Los grupos de tu proveedor de identidad cambiaron tus equipos en { $account }.
sso-groups-added = Añadido a
sso-groups-removed = Eliminado de
sso-groups-submit = Entendido
sso-email-invalid = No es una dirección de correo electrónico.
sso-onward = Continuar a tu proveedor de identidad
sso-start-title = Iniciar sesión con inicio de sesión único
sso-start-intro = Has seguido un enlace desde otro sitio para iniciar sesión en { $account } con su proveedor de identidad. Continúa solo si era tu intención.
sso-start-continue = Continuar

# Google and GitHub login
login-with-google = Iniciar sesión con Google
login-with-github = Iniciar sesión con GitHub
external-unavailable = No se puede contactar con el proveedor de inicio de sesión en este momento. Inténtelo de nuevo en un momento o inicie sesión de otra forma.
external-choose-intro = Su correo electrónico es de usuarios de varias cuentas que permiten este inicio de sesión. ¿Cuál desea usar?
external-refused-title = No se pudo iniciar sesión
external-refused-stale = Este inicio de sesión ha caducado, ya se usó o se empezó en otro navegador. Empiece de nuevo desde la página de inicio de sesión.
external-refused-response = No se pudo aceptar la respuesta de { $provider }. Empiece de nuevo; si vuelve a ocurrir, avise a su administrador.
external-refused-unverified = { $provider } no ha verificado su dirección de correo. Verifíquela en { $provider } e inténtelo de nuevo.
external-refused-no-account = Ninguna cuenta que permita iniciar sesión con { $provider } tiene un usuario con su correo de { $provider }. Consulte a un administrador de su cuenta.
external-refused-not-allowed = Su cuenta no permite iniciar sesión con { $provider }.
external-refused-user = Su usuario está bloqueado o desactivado. Consulte a un administrador de su cuenta.
external-refused-cancelled = El inicio de sesión no se completó en { $provider }.
identities-heading = Identidades vinculadas
identities-intro = Identidades de Google, GitHub e inicio de sesión único con las que inicia sesión. Una identidad desvinculada ya no le encuentra; su correo verificado puede volver a vincularla en su próximo inicio de sesión.
identities-none = Todavía no tiene ninguna identidad vinculada.
identity-provider = Proveedor
identity-subject = Identificador
identity-unlink = Desvincular
identity-unlinked = Se desvinculó la identidad.

# The console
console-title = Consola
console-nav = Consola
console-intro = Gestione aquí su cuenta. Cada sección muestra solo lo que su rol permite.
console-forbidden = Esta página es para los administradores de la cuenta.
audit-title = Registro de auditoría
audit-filters = Filtros
audit-username = Nombre de usuario
audit-ip = Dirección IP
audit-text = La descripción contiene
audit-range = Periodo
audit-range-any = Cualquier momento
audit-range-last-15-minutes = Últimos 15 minutos
audit-range-today = Hoy
audit-range-yesterday = Ayer
audit-range-this-week = Esta semana
audit-range-last-week = La semana pasada
audit-from = Desde
audit-to = Hasta
audit-time-hint = Fecha y hora en la zona horaria de la cuenta ({ $zone })
audit-apply = Aplicar filtros
audit-clear = Borrar
audit-entries = Entradas, las más recientes primero
audit-none = Ninguna entrada coincide con estos filtros.
audit-older = Entradas anteriores
audit-export-csv = Descargar como CSV
audit-export-jsonl = Descargar como JSON Lines
audit-col-time = Hora
audit-col-account = Cuenta
audit-col-username = Nombre de usuario
audit-col-ip = Dirección IP
audit-col-description = Descripción
audit-chart = Inicios de sesión por hora
audit-chart-logins = Inicios de sesión
audit-chart-failed = Inicios de sesión fallidos
audit-chart-summary = { $logins } inicios de sesión y { $failed } fallidos desde { $from } hasta { $to } ({ $zone }).
audit-bad-page = Esta página del registro de auditoría no existe. Empiece de nuevo desde la primera página.
audit-bad-format = Elija CSV o JSON Lines.

# The console's users
users-title = Usuarios
users-heading = Usuarios
users-search = Buscar (correo, nombre de usuario, nombre, teléfono)
users-status = Estado
users-role = Rol
users-any = Cualquiera
users-none = Ningún usuario coincide.
users-next = Página siguiente
users-back = Todos los usuarios
users-bad-filter = Elija un estado y un rol de las listas.
users-col-name = Nombre
users-col-email = Correo electrónico
users-col-roles = Roles
users-col-last-login = Último inicio de sesión
user-status-invited = Invitado
user-status-active = Activo
user-status-disabled = Desactivado
user-status-locked = Bloqueado
user-reason-admin = por un administrador
user-reason-inactivity = inactivo demasiado tiempo
user-reason-policy = demasiados inicios de sesión fallidos
user-details = Datos
user-phone = Teléfono
user-two-factor-required = Autenticación de dos factores exigida
user-failed-attempts = Intentos fallidos seguidos
user-actions = Acciones
user-disable = Desactivar
user-enable = Activar
user-lock = Bloquear
user-unlock = Desbloquear
user-password-reset = Enviar un enlace para restablecer la contraseña
user-two-factor-on = Exigir autenticación de dos factores
user-two-factor-off = Desactivar la autenticación de dos factores y quitar el autenticador
users-yes = Sí
users-no = No
reset-link-sent = Se envió el enlace para restablecer la contraseña.
field-invalid = No se puede aceptar este valor: revíselo e inténtelo de nuevo.
email-taken = Un usuario de esta cuenta ya tiene este correo.
users-create = Crear un usuario
users-create-submit = Crear
users-first-name = Nombre
users-last-name = Apellidos
users-member = Miembro (sin rol)
user-created = Se creó el usuario.

# The console's security settings
security-title = Configuración de seguridad
security-policy = Política de seguridad de las cuentas de usuario
security-inactivity = Inactividad máxima (días)
security-inactivity-hint = Un usuario que no inicia sesión durante estos días se desactiva: de 15 a 365; vacío para nunca.
security-attempts = Intentos de inicio de sesión máximos
security-attempts-hint = Inicios de sesión fallidos seguidos antes de bloquear al usuario: de 1 a 100; se recomienda 5.
security-validity = Validez de la contraseña (días)
security-validity-hint = Días que una contraseña sigue siendo válida: de 1 a 3650, se recomienda 90; vacío para que no caduque.
security-two-factor = Autenticación de dos factores para todos los usuarios
security-two-factor-off = Desactivada
security-two-factor-new-device = En un dispositivo nuevo
security-two-factor-every-login = En cada inicio de sesión
security-lockout = Qué bloquean los inicios de sesión fallidos
security-lockout-account = Al usuario, en todos los dispositivos
security-lockout-untrusted = Solo los inicios de sesión desde dispositivos no confiables
security-lock-minutes = El bloqueo termina tras (minutos)
security-lock-minutes-hint = De 1 a 10080; vacío: hasta que un administrador desbloquee al usuario.
security-save = Guardar
security-login-options = Opciones de inicio de sesión
security-login-options-legend = Los usuarios de esta cuenta pueden iniciar sesión con

# The console's API keys
keys-title = Claves de API
keys-create = Crear una clave de API
keys-create-submit = Crear la clave
keys-name = Nombre
keys-valid-until = Válida hasta
keys-no-expiry = Vacío: sin caducidad.
keys-none = Todavía no hay ninguna clave de API.
keys-created = Clave de API «{ $name }» creada
keys-shown-once = Copie la clave ahora: se muestra esta única vez.
keys-created-at = Creada
keys-never = Nunca
keys-active = Activa
keys-expired = Caducada
keys-revoked = Revocada
keys-rename = Cambiar el nombre
keys-set-expiry = Fijar la caducidad
keys-revoke = Revocar

# The console's teams
teams-title = Equipos
teams-create = Crear un equipo
teams-create-submit = Crear el equipo
teams-none = Todavía no hay equipos.
teams-members = Miembros
teams-managed = Gestionado
teams-by-sso = por SSO
teams-back = Todos los equipos
teams-sso-read-only = La sincronización de grupos de SSO gestiona este equipo: sus miembros siguen al proveedor de identidad y se muestran solo para lectura.
teams-no-members = Todavía no hay miembros.
teams-remove = Quitar
teams-add-label = Añadir al usuario con el correo
teams-add = Añadir
teams-settings = Equipo
teams-delete = Eliminar el equipo

# The console's user history
history-title = Historial
history-back = Volver al usuario
history-as-of = En un momento dado
history-as-of-field = El usuario en el momento
history-show = Mostrar
history-not-yet = El usuario todavía no existía.
history-timeline = Cronología
history-events = Eventos, los más recientes primero
history-col-event = Evento
history-none = Todavía no hay eventos.
history-summary = { $count ->
    [one] { $count } evento desde { $from } hasta { $to }.
   *[other] { $count } eventos desde { $from } hasta { $to }.
}
user-history = Historial
user-identities-none = Este usuario no tiene ninguna identidad vinculada.

# The console's customization
custom-title = Personalización
custom-look = Idioma, tema y nombre de host de inicio de sesión
custom-language = Idioma de la interfaz
custom-language-hint = El idioma de las páginas de inicio de sesión y de los correos para los usuarios que no han elegido uno.
custom-theme = Tema
custom-theme-light = Claro
custom-theme-dark = Oscuro
custom-theme-system = Según la configuración del dispositivo del usuario
custom-time-zone = Zona horaria
custom-time-zone-hint = La consola y el registro de auditoría muestran las horas en esta zona.
custom-hostname = Nombre de host de inicio de sesión
custom-hostname-hint = Un nombre de su dominio donde sus usuarios inician sesión con su logotipo y tema, como login.example.com. Vacío: ninguno.
custom-dns = El registro DNS que debe crear
custom-dns-hint = Cree este registro en su proveedor de DNS para que el nombre de host llegue a las páginas de inicio de sesión.
custom-dns-type = Tipo
custom-dns-name = Nombre
custom-dns-value = Valor
custom-logo = Logotipo
custom-logo-file = Imagen del logotipo
custom-logo-hint = Una imagen PNG o JPEG de 150 x 150 píxeles como máximo.
custom-logo-upload = Subir el logotipo
custom-logo-remove = Quitar el logotipo
custom-logo-none = Todavía no hay logotipo.
custom-logo-alt = El logotipo de la cuenta
custom-logo-size = { $width } x { $height } píxeles
custom-preview = Vista previa de la página de inicio de sesión
custom-preview-at = Sus usuarios la ven en
logo-too-large = No se puede subir la imagen: es mayor de { $max } x { $max } píxeles.
logo-invalid = El archivo no se puede leer como imagen PNG o JPEG.
logo-missing = Elija un archivo de imagen.
hostname-taken = Otra cuenta ya inicia sesión con este nombre de host.

# The console's single sign-on
sso-console-title = Inicio de sesión único
sso-console-intro = Con el inicio de sesión único SAML 2.0, sus usuarios inician sesión a través de su proveedor de identidad (IdP). Solo un Account Manager puede definir y cambiar la configuración.
sso-configure = Configurar el inicio de sesión único
sso-none = Todavía no hay ninguna configuración de inicio de sesión único.
sso-edit = Cambiar la configuración
sso-shared = Otra cuenta es dueña de esta configuración y la comparte con esta cuenta; la cambian sus administradores.
sso-new-title = Nueva configuración de inicio de sesión único
sso-edit-title = Configuración de inicio de sesión único
sso-idp-heading = Proveedor de identidad
sso-sp-heading = Proveedor de servicios
sso-idp-metadata = Archivo de metadatos del IdP (opcional)
sso-idp-metadata-help = El XML de metadatos de su proveedor de identidad rellena los campos del IdP de abajo; un campo que escriba prevalece sobre el del archivo.
sso-idp-entity-id = Identificador del IdP
sso-idp-entity-id-help = Una entidad del sistema o emisor que crea, mantiene y gestiona la información de identidad de los principales.
sso-idp-certificate = Certificado de firma del IdP
sso-idp-certificate-help = El certificado del proveedor de identidad con el que se firma la aserción SAML: de uno a cuatro bloques PEM, cada uno válido ahora, RSA de al menos 2048 bits o una curva elíptica.
sso-idp-certificate-file = O suba el archivo del certificado (PEM o DER)
sso-idp-sso-url = URL de inicio de sesión único del IdP
sso-idp-sso-url-help = El punto final SAML 2.0 (HTTP) que representa la URL de inicio de sesión del proveedor de identidad.
sso-logout-url = URL de cierre de sesión
sso-logout-url-help = La URL de su proveedor de identidad a la que se redirige a todos los usuarios tras cerrar la sesión aquí, para terminar su sesión en el proveedor de identidad.
sso-sp-entity-id = ID de entidad del SP
sso-sp-entity-id-help = La URL que identifica de forma única a este proveedor de servicios. Úsela para iniciar el inicio de sesión SSO y compártala con todos los usuarios de la cuenta.
sso-slug-help = Escriba su último segmento, como el nombre de su empresa.
sso-acs-url = URL del consumidor de aserciones del SP
sso-acs-url-help = Adonde el proveedor de identidad envía las aserciones SAML; configúrela en su proveedor de identidad. Se genera al azar al guardar la configuración.
sso-metadata-download = Descargar los metadatos del SP (XML) para su proveedor de identidad
sso-certificates = Certificados de IdP de confianza
sso-certificate-expires = caduca el { $date }
sso-certificate-soon = Caduca en menos de 30 días: añada ya el certificado nuevo.
sso-certificate-untrusted = No es de confianza: { $why }
sso-auto-users = Crear usuarios automáticamente
sso-auto-users-help = Los usuarios que inician sesión a través del proveedor de identidad y no se encuentran por su correo se crean con sus datos básicos.
sso-auto-groups = Crear grupos automáticamente
sso-auto-groups-help = En cada inicio de sesión, los grupos y las pertenencias del usuario siguen al proveedor de identidad. Requiere configurar la notificación de grupos en su proveedor de identidad.
sso-name-id = Identificador de nombre (NameID)
sso-name-id-help = Lo que el proveedor de identidad envía como NameID, en formato de dirección de correo.
sso-advanced = Avanzado
sso-idp-initiated = Aceptar inicios de sesión iniciados en el proveedor de identidad
sso-idp-initiated-help = Respuestas no solicitadas, sin una petición desde aquí; desactivado salvo que su proveedor de identidad lo necesite.
sso-sha1 = Aceptar firmas SHA-1
sso-sha1-help = Solo para un proveedor de identidad que no puede firmar con SHA-256.
sso-delete = Eliminar la configuración
sso-delete-help = Los usuarios conservan sus cuentas e inician sesión como lo permitan las opciones de inicio de sesión.
sso-certificate-invalid = No se puede confiar en el certificado: { $why }
sso-metadata-invalid = No se puede leer el archivo de metadatos: { $why }.
sso-slug-taken = Otra configuración usa este ID de entidad del SP: elija otro último segmento.

# The console's user page: edit, email, sessions
user-edit = Datos y rol
user-change-email = Cambiar el correo
user-change-email-hint = El usuario inicia sesión con la nueva dirección a partir de ahora; la antigua queda libre para otro usuario.
user-sessions-none = Ninguna sesión abierta.
user-session-opened = Abierta
user-session-seen = Visto por última vez
user-session-method = Cómo
user-session-end = Terminar la sesión
user-session-ended = Se terminó la sesión.
users-team = Equipo
security-option-password = Contraseña
